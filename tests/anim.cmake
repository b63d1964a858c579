# Keyframed animations end to end (label e2e; docs/ANIMATION.md): a keyframed job rendered with
# mpirun -np 2 stores per-frame bounds, c, max_iter and rotation equal, bit for bit, to an
# independent Python implementation of docs/ANIMATION.md; the example configs
# (configs/anim-*.cfg) render as --preview and their stored plans match the same model.
fractal_e2e_test(anim_stored_plan anim/stored_plan.py 180)
# --preview shows the real picture (issue 15): the seahorse zoom in 12 frames, full 160x90 and
# --preview-size 80; per frame the same max_iter, interior fraction and mean log count, no flat frames.
fractal_e2e_test(anim_preview_picture anim/preview_picture.py 120)
