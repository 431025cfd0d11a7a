// The density f_d of one coordinate of a uniform random point on the unit sphere S^{d-1},
// f_d(t) = Gamma(d/2) / (sqrt(pi) Gamma((d-1)/2)) (1 - t^2)^((d-3)/2) on [-1, 1].
#ifndef TQ_ENGINE_SPHERE_DENSITY_H_
#define TQ_ENGINE_SPHERE_DENSITY_H_

namespace tq {

// All integrals substitute t = sin(theta), which turns f_d(t) dt into
// C_d cos^(d-2)(theta) dtheta: smooth for every d >= 2 (no endpoint singularity at d = 2),
// and integrated by adaptive Gauss-Kronrod in double to about 1e-15.
class SphereDensity {
 public:
  explicit SphereDensity(int dim);  // dim >= 2

  int dim() const { return dim_; }
  // f_d(t) for |t| < 1; 0 outside.
  double Pdf(double t) const;
  // P(a <= T <= b) for -1 <= a <= b <= 1.
  double Mass(double a, double b) const;
  // E[T ; a <= T <= b] = integral of t f_d(t) over [a, b], in closed form.
  double FirstMoment(double a, double b) const;
  // E[|T|] = 2 C_d / (d - 1); about sqrt(2 / (pi d)) for large d.
  double MeanAbs() const;

 private:
  // Integral of cos^(d-2) over [theta_lo, theta_hi] within [-pi/2, pi/2].
  double CosPowerIntegral(double theta_lo, double theta_hi) const;

  int dim_;
  double log_normalizer_;  // log C_d
  double normalizer_;      // C_d
};

}  // namespace tq

#endif  // TQ_ENGINE_SPHERE_DENSITY_H_
