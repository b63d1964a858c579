// Runtime CPU dispatch: one binary runs on any x86-64 and uses the widest vectors the node has.
#include "fractal/error.hpp"
#include "fractal/kernel/kernel.hpp"

namespace fractal {

const char* kernel_name(KernelKind k) {
  switch (k) {
    case KernelKind::Scalar: return "scalar";
    case KernelKind::Avx2: return "avx2";
    case KernelKind::Avx512: return "avx512";
  }
  return "?";
}

bool kernel_supported(KernelKind k) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  switch (k) {
    case KernelKind::Scalar: return true;
    case KernelKind::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case KernelKind::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  }
  return false;
#else
  return k == KernelKind::Scalar;
#endif
}

std::vector<KernelKind> supported_kernels() {
  std::vector<KernelKind> out;
  for (KernelKind k : {KernelKind::Scalar, KernelKind::Avx2, KernelKind::Avx512})
    if (kernel_supported(k)) out.push_back(k);
  return out;
}

KernelKind best_kernel() {
  if (kernel_supported(KernelKind::Avx512)) return KernelKind::Avx512;
  if (kernel_supported(KernelKind::Avx2)) return KernelKind::Avx2;
  return KernelKind::Scalar;
}

RowKernel row_kernel(KernelKind k) {
  switch (k) {
    case KernelKind::Scalar: return &render_row_scalar;
    case KernelKind::Avx2: return &render_row_avx2;
    case KernelKind::Avx512: return &render_row_avx512;
  }
  return &render_row_scalar;
}

KernelKind kernel_from_name(const std::string& name) {
  if (name == "auto") return best_kernel();
  KernelKind k;
  if (name == "scalar") k = KernelKind::Scalar;
  else if (name == "avx2") k = KernelKind::Avx2;
  else if (name == "avx512") k = KernelKind::Avx512;
  else throw UsageError("--kernel must be auto, scalar, avx2 or avx512, got '" + name + "'");
  if (!kernel_supported(k))
    throw UsageError("--kernel " + name + " is not supported by this CPU (use --kernel auto)");
  return k;
}

}  // namespace fractal
