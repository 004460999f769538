# 16-gaussian-flow.awk: the closed-form probability-flow ODE of one Gaussian N(μ, Σ) in d = 2,
# for experiment 16 (second-order samplers as finite differences).
#
#   { diffgeo table RUN /fit/means; diffgeo table RUN /fit/covs --slice 0; diffgeo table RUN /sigmas
#     diffgeo table RUN /trajectory --slice 0; ...; } | awk -f 16-gaussian-flow.awk -v mode=MODE
#
# D(x; σ) = μ + Σ (Σ + σ²I)⁻¹ (x − μ), and the exact solution from x_0 at σ_0 is
# x(σ) = μ + V diag(sqrt((λ_k + σ²)/(λ_k + σ_0²))) Vᵀ (x_0 − μ), Σ = V diag(λ) Vᵀ (both computed
# here, in closed form, independently of diffgeo).
# mode=end: blocks 4 and 5 are /trajectory slices 0 and −1; prints "h mean max" of ‖x_T − x(σ_T)‖
#   over the samples, h = (σ_0 − σ_T)/(T) the mean step.
# mode=fd: blocks 4 … T+4 are /trajectory slices 0 … T, then T blocks of /denoised slices; the
#   variable solver (heun or dpm2).  Rebuilds every step as Euler plus a finite difference,
#     heun: x_{i+1} = x_i + h d_i + (h²/2) (d(x̃; σ_{i+1}) − d_i)/h,  x̃ = x_i + h d_i
#     dpm2: x_{i+1} = x_i + h d_i + h (σ_m − σ_i) (d(x̃; σ_m) − d_i)/(σ_m − σ_i),
#           σ_m = sqrt(σ_i σ_{i+1}), x̃ = x_i + (σ_m − σ_i) d_i
#   with d(x; σ) = (x − D(x; σ))/σ from the closed form, and prints one line
#   "max_rel_step max_rel_D": the largest ‖rebuilt − x_{i+1}‖/‖x_{i+1}‖ and ‖D − /denoised‖/‖D‖.
function den(x1, x2, s, out,    m11, m12, m22, det, y1, y2, z1, z2) {
    m11 = a + s * s; m12 = b; m22 = c + s * s; det = m11 * m22 - m12 * m12
    y1 = x1 - mu1; y2 = x2 - mu2
    z1 = (m22 * y1 - m12 * y2) / det; z2 = (-m12 * y1 + m11 * y2) / det
    out[1] = mu1 + a * z1 + b * z2; out[2] = mu2 + b * z1 + c * z2
}
function exact(x1, x2, s0, s, out,    tr, dt, l1, l2, v1, v2, nv, p, q, f1, f2) {
    tr = a + c; dt = a * c - b * b
    l1 = tr / 2 + sqrt(tr * tr / 4 - dt); l2 = tr - l1
    if (b != 0) { v1 = b; v2 = l1 - a } else if (a >= c) { v1 = 1; v2 = 0 } else { v1 = 0; v2 = 1 }
    nv = sqrt(v1 * v1 + v2 * v2); v1 /= nv; v2 /= nv
    p = v1 * (x1 - mu1) + v2 * (x2 - mu2); q = -v2 * (x1 - mu1) + v1 * (x2 - mu2)
    f1 = sqrt((l1 + s * s) / (l1 + s0 * s0)); f2 = sqrt((l2 + s * s) / (l2 + s0 * s0))
    p *= f1; q *= f2
    out[1] = mu1 + v1 * p - v2 * q; out[2] = mu2 + v2 * p + v1 * q
}
/^#/ { blk++; row = 0; next }
blk == 1 { mu1 = $2; mu2 = $3; next }
blk == 2 { if ($1 == 0) { a = $2; b = $3 } else c = $3; next }
blk == 3 { sg[$1] = $2; T = $1; next }
{ v[blk - 4, $1, 1] = $2; v[blk - 4, $1, 2] = $3; if ($1 + 1 > n) n = $1 + 1 }
END {
    if (mode == "end") {
        for (j = 0; j < n; j++) {
            exact(v[0, j, 1], v[0, j, 2], sg[0], sg[T], e)
            err = sqrt((v[1, j, 1] - e[1]) ^ 2 + (v[1, j, 2] - e[2]) ^ 2)
            s += err; if (err > mx) mx = err
        }
        printf "%.17g %.17g %.17g\n", (sg[0] - sg[T]) / T, s / n, mx
        exit
    }
    for (i = 0; i < T; i++) for (j = 0; j < n; j++) {
        s0 = sg[i]; s1 = sg[i + 1]; h = s1 - s0
        x1 = v[i, j, 1]; x2 = v[i, j, 2]
        den(x1, x2, s0, D)
        dr = sqrt((D[1] - v[T + 1 + i, j, 1]) ^ 2 + (D[2] - v[T + 1 + i, j, 2]) ^ 2) / sqrt(D[1] ^ 2 + D[2] ^ 2)
        if (dr > mxd) mxd = dr
        d1 = (x1 - D[1]) / s0; d2 = (x2 - D[2]) / s0
        sp = solver == "dpm2" ? sqrt(s0 * s1) : s1
        p1 = x1 + (sp - s0) * d1; p2 = x2 + (sp - s0) * d2
        den(p1, p2, sp, P)
        e1 = (p1 - P[1]) / sp; e2 = (p2 - P[2]) / sp
        if (solver == "dpm2") { w = h * (sp - s0) } else { w = h * h / 2 }
        # Euler plus (weight) × the finite difference of d along the step
        r1 = x1 + h * d1 + w * (e1 - d1) / (sp - s0); r2 = x2 + h * d2 + w * (e2 - d2) / (sp - s0)
        y1 = v[i + 1, j, 1]; y2 = v[i + 1, j, 2]
        rel = sqrt((r1 - y1) ^ 2 + (r2 - y2) ^ 2) / sqrt(y1 * y1 + y2 * y2)
        if (rel > mxs) mxs = rel
    }
    printf "%.17g %.17g\n", mxs, mxd
}
