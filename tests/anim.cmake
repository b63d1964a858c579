# Keyframed animations end to end (label e2e; docs/ANIMATION.md): a keyframed job rendered with
# mpirun -np 2 stores per-frame bounds, c, max_iter and rotation equal, bit for bit, to an
# independent Python implementation of docs/ANIMATION.md; the example configs
# (configs/anim-*.cfg) render as --preview and their stored plans match the same model.
fractal_e2e_test(anim_stored_plan anim/stored_plan.py 180)
