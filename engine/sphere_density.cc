// Numerical integration of the sphere-coordinate density (see sphere_density.h).
// Everything is double: the codebook must be right to 1e-10 after Lloyd iterations.
#include "engine/sphere_density.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>

namespace tq {
namespace {

// Gauss-Kronrod 7/15 nodes and weights on [-1, 1] (standard tabulated values).
constexpr double kKronrodNodes[8] = {
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.000000000000000000000000000000000};
constexpr double kKronrodWeights[8] = {
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
constexpr double kGaussWeights[4] = {
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

template <typename F>
double Kronrod15(const F& f, double a, double b, double* error) {
  const double center = 0.5 * (a + b);
  const double half = 0.5 * (b - a);
  const double f_center = f(center);
  double kronrod = f_center * kKronrodWeights[7];
  double gauss = f_center * kGaussWeights[3];
  for (int i = 0; i < 7; ++i) {
    const double x = half * kKronrodNodes[i];
    const double sum = f(center - x) + f(center + x);
    kronrod += kKronrodWeights[i] * sum;
    if (i % 2 == 1) gauss += kGaussWeights[i / 2] * sum;
  }
  *error = std::abs((kronrod - gauss) * half);
  return kronrod * half;
}

template <typename F>
double AdaptiveIntegral(const F& f, double a, double b, double tolerance, int depth) {
  double error = 0.0;
  const double whole = Kronrod15(f, a, b, &error);
  // The tolerance is not halved for the halves: that would chase rounding noise down to the
  // depth limit. The few panels a smooth integrand needs keep the sum within a few tol.
  if (error <= tolerance || depth == 0) return whole;
  const double mid = 0.5 * (a + b);
  return AdaptiveIntegral(f, a, mid, tolerance, depth - 1) +
         AdaptiveIntegral(f, mid, b, tolerance, depth - 1);
}

}  // namespace

SphereDensity::SphereDensity(int dim) : dim_(dim) {
  assert(dim >= 2);
  // log C_d = lgamma(x + 1/2) - lgamma(x) - log(pi)/2 with x = (d-1)/2. The difference of
  // two large lgamma values loses ~1e-10 at d = 1e5, so large d uses the asymptotic series
  // 0.5 log x - 1/(8x) + 1/(192 x^3) + O(x^-5) (its next term is below 1e-18 for x >= 1000).
  const double x = 0.5 * (dim - 1);
  const double log_gamma_ratio =
      x >= 1000 ? 0.5 * std::log(x) - 1.0 / (8 * x) + 1.0 / (192 * x * x * x)
                : std::lgamma(x + 0.5) - std::lgamma(x);
  log_normalizer_ = log_gamma_ratio - 0.5 * std::log(std::numbers::pi);
  normalizer_ = std::exp(log_normalizer_);
}

double SphereDensity::Pdf(double t) const {
  if (!(std::abs(t) < 1.0)) return 0.0;
  return std::exp(log_normalizer_ + 0.5 * (dim_ - 3) * std::log1p(-t * t));
}

double SphereDensity::CosPowerIntegral(double theta_lo, double theta_hi) const {
  // Past 40 standard deviations (the sd of theta is ~1/sqrt(d)) the integrand is below
  // 1e-300: clip there so the adaptive rule spends its effort where the mass is.
  const double cutoff = std::min(std::numbers::pi / 2, 40.0 / std::sqrt(dim_ - 1.0) + 1e-3);
  const double lo = std::clamp(theta_lo, -cutoff, cutoff);
  const double hi = std::clamp(theta_hi, -cutoff, cutoff);
  if (!(lo < hi)) return 0.0;
  const double power = dim_ - 2;
  auto integrand = [power](double x) { return std::pow(std::cos(x), power); };
  // The whole integral is about sqrt(2 pi / d); 1e-15 of it is near the rounding floor.
  // Kronrod's true error is far below its |K - G| estimate on a smooth integrand, and the
  // depth limit (panels of ~sd/100) bounds the work when rounding noise meets the tolerance.
  const double tolerance = 1e-15 * std::sqrt(2.0 * std::numbers::pi / dim_);
  return AdaptiveIntegral(integrand, lo, hi, tolerance, 12);
}

double SphereDensity::Mass(double a, double b) const {
  assert(a <= b);
  const double theta_a = std::asin(std::clamp(a, -1.0, 1.0));
  const double theta_b = std::asin(std::clamp(b, -1.0, 1.0));
  return normalizer_ * CosPowerIntegral(theta_a, theta_b);
}

double SphereDensity::FirstMoment(double a, double b) const {
  // d/dt (1 - t^2)^((d-1)/2) = -(d-1) t (1 - t^2)^((d-3)/2).
  auto antiderivative = [this](double t) {
    const double one_minus = std::max(0.0, 1.0 - t * t);
    return -std::pow(one_minus, 0.5 * (dim_ - 1)) / (dim_ - 1);
  };
  return normalizer_ * (antiderivative(b) - antiderivative(a));
}

double SphereDensity::MeanAbs() const { return 2.0 * normalizer_ / (dim_ - 1); }

}  // namespace tq
