/*
 * dg_clones: DG_CLONES compiles a function once per x86-64 vector width
 * (AVX-512, AVX2 and the SSE2 baseline the library is built for) and lets
 * the loader pick the widest the processor runs.  Internal to libdiffgeo.
 *
 * Only for loops whose lanes do the same IEEE operations in the same order
 * whatever the width (contraction is off library-wide, and no target
 * changes the rounding): every clone then gives the same bits, which is
 * what determinism across machines needs.  A clone is only ever called
 * through a plain function in front of it: Clang 14 names an exported
 * target_clones function's dispatcher NAME.ifunc, which callers outside the
 * file would not find.
 */
#ifndef DG_CLONES_H
#define DG_CLONES_H

#if defined(__x86_64__) && defined(__ELF__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define DG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef DG_CLONES
#define DG_CLONES
#endif

#endif /* DG_CLONES_H */
