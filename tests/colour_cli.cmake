# Command-line tests of fractal-colour (CTest label "colour"): tiny files from the real
# fractal-render (run as a singleton, no mpirun), coloured by the real fractal-colour and checked
# from the outside with Python (numpy, h5py, matplotlib; ffprobe/ffmpeg for the videos).
# Run: ctest -L colour --output-on-failure. Included from tests/CMakeLists.txt.
# Each script: python3 SCRIPT FRACTAL_RENDER FRACTAL_COLOUR SCRATCH_DIR; exit 0 pass, 1 fail.
function(fractal_colour_cli_test what script timeout)
  add_test(NAME colour_cli_${what}
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/colour_cli/${script}
            $<TARGET_FILE:fractal-render> $<TARGET_FILE:fractal-colour>
            ${CMAKE_CURRENT_BINARY_DIR}/colour_cli/${what})
  set_tests_properties(colour_cli_${what} PROPERTIES
    LABELS colour
    TIMEOUT ${timeout}
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;PYTHONDONTWRITEBYTECODE=1")
endfunction()

fractal_colour_cli_test(pixels        pixels.py        60)  # PNG pixels == matplotlib colormaps of the counts
fractal_colour_cli_test(frames        frames.py        60)  # --frames A:B:STEP / N; --png needs one frame
fractal_colour_cli_test(deterministic deterministic.py 60)  # same options -> byte-identical PNGs
fractal_colour_cli_test(downscale     downscale.py     60)  # --downscale 2 == mean of 2x2 blocks
fractal_colour_cli_test(video         video.py         90)  # h264/vp9: frames, even-padded size, fps
fractal_colour_cli_test(overwrite     overwrite.py     60)  # refuse existing outputs unless --overwrite
fractal_colour_cli_test(info          info.py          60)  # --info
fractal_colour_cli_test(bad_files     bad_files.py     90)  # damaged/foreign files: exit 1, one line
fractal_colour_cli_test(usage         usage.py         60)  # usage errors: exit 2, one line
fractal_colour_cli_test(exr           exr.py           60)  # --exr: KF channels N/NF/DEX/DEY vs the HDF5 data (exrheader + a Python reader)
fractal_colour_cli_test(smooth_histogram smooth_histogram.py 90)  # --norm smooth-histogram: one CDF of /smooth over a zoom; the default for zooms
fractal_colour_cli_test(zoom_sequence zoom_sequence.py 300)  # --zoom-sequence + composing: no jump at hand-overs, like the direct zoom, no seam
