// Keyframed animation paths (keyframes.hpp).
#include "fractal/frame_plan.hpp"
