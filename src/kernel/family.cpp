#include "fractal/kernel/family.hpp"

namespace fractal {

const char* family_name(Family f) {
  switch (f) {
    case Family::Multibrot: return "multibrot";
    case Family::BurningShip: return "burning-ship";
    case Family::Tricorn: return "tricorn";
  }
  return "?";
}

}  // namespace fractal
