// Smooth escape values and distance estimates (extras.hpp).
#include "fractal/frame_plan.hpp"
