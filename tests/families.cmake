# Families (burning ship, tricorn, multibrot d) and rotated views, end to end (label e2e):
# -np 3 best kernel == -np 1 scalar, and sampled pixels recomputed independently with exact fma.
fractal_e2e_test(families families/families_e2e.py 240)
