#ifndef ONERING_VECTOR_KERNELS_SHIM_H
#define ONERING_VECTOR_KERNELS_SHIM_H

// Half-precision (IEEE binary16) kernels. Swift cannot reach the x86 vector
// intrinsics, and compiling the whole package for AVX-512 would make the
// binary crash on older CPUs; these static inline functions carry their own
// `target` attribute instead, and VectorMath calls them only after checking
// the CPU's features at run time. See docs/DESIGN.md.

#include <stddef.h>
#include <stdint.h>

/// Asks the CPU to bring the cache line at `address` in ahead of its use (a hint; any address is safe).
static inline void onering_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// codes[i] = v / scale rounded half away from zero and clamped to −127…127, for the `count`
/// values; returns Σ codes, and Σ (v − scale·code)² in `squaredError` (in double precision, in
/// eight partial sums). Plain C, which the compiler vectorises on the baseline target: the
/// rounding is the truncation plus one step when the exact remainder is at least a half.
static inline int32_t onering_int8_quantize(const float *values, size_t count, float scale, int8_t *codes, double *squaredError) {
    int32_t sum = 0;
    for (size_t i = 0; i < count; i++) {
        float scaled = values[i] / scale;
        scaled = scaled > 127.0f ? 127.0f : (scaled < -127.0f ? -127.0f : scaled);
        float truncated = (float)(int32_t)scaled;
        float remainder = scaled - truncated;
        int32_t code = (int32_t)truncated + (remainder >= 0.5f) - (remainder <= -0.5f);
        codes[i] = (int8_t)code;
        sum += code;
    }
    double partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        for (int lane = 0; lane < 8; lane++) {
            double lost = (double)values[i + lane] - (double)scale * (double)codes[i + lane];
            partial[lane] += lost * lost;
        }
    }
    double error = 0;
    for (int lane = 0; lane < 8; lane++) error += partial[lane];
    for (; i < count; i++) {
        double lost = (double)values[i] - (double)scale * (double)codes[i];
        error += lost * lost;
    }
    *squaredError = error;
    return sum;
}

#if defined(__x86_64__) && !defined(ONERING_PORTABLE_ONLY)
#include <immintrin.h>

/// out[r] = <rows[r], query> for r in 0..<count; rows are row-major float16, count x dims.
///
/// Four rows at a time share each load of the query. While they are read, the next
/// four rows are prefetched, one cache line per row per 32 columns: without it the
/// hardware prefetcher leaves about a third of the memory bandwidth unused.
__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline void onering_half_gemv_avx512(const uint16_t *rows, size_t count, size_t dims,
                                            const float *query, float *out) {
    size_t r = 0;
    for (; r + 4 <= count; r += 4) {
        const uint16_t *a = rows + r * dims, *b = a + dims, *c = b + dims, *d = c + dims;
        // Past the last group, prefetch the current rows again rather than read past the end.
        const uint16_t *next = r + 8 <= count ? a + 4 * dims : a;
        __m512 sa = _mm512_setzero_ps(), sb = _mm512_setzero_ps();
        __m512 sc = _mm512_setzero_ps(), sd = _mm512_setzero_ps();
        size_t j = 0;
        for (; j + 32 <= dims; j += 32) {
            _mm_prefetch((const char *)(next + j), _MM_HINT_T0);
            _mm_prefetch((const char *)(next + dims + j), _MM_HINT_T0);
            _mm_prefetch((const char *)(next + 2 * dims + j), _MM_HINT_T0);
            _mm_prefetch((const char *)(next + 3 * dims + j), _MM_HINT_T0);
            __m512 q0 = _mm512_loadu_ps(query + j), q1 = _mm512_loadu_ps(query + j + 16);
            sa = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(a + j))), q0, sa);
            sb = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + j))), q0, sb);
            sc = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(c + j))), q0, sc);
            sd = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(d + j))), q0, sd);
            sa = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(a + j + 16))), q1, sa);
            sb = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + j + 16))), q1, sb);
            sc = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(c + j + 16))), q1, sc);
            sd = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(d + j + 16))), q1, sd);
        }
        for (; j < dims; j += 16) {
            __mmask16 m = dims - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (dims - j)) - 1u);
            __m512 q = _mm512_maskz_loadu_ps(m, query + j);
            sa = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, a + j)), q, sa);
            sb = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, b + j)), q, sb);
            sc = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, c + j)), q, sc);
            sd = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, d + j)), q, sd);
        }
        out[r] = _mm512_reduce_add_ps(sa);
        out[r + 1] = _mm512_reduce_add_ps(sb);
        out[r + 2] = _mm512_reduce_add_ps(sc);
        out[r + 3] = _mm512_reduce_add_ps(sd);
    }
    for (; r < count; r++) {
        const uint16_t *a = rows + r * dims;
        __m512 sa = _mm512_setzero_ps();
        size_t j = 0;
        for (; j + 16 <= dims; j += 16) {
            sa = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(a + j))),
                                 _mm512_loadu_ps(query + j), sa);
        }
        if (j < dims) {
            __mmask16 m = (__mmask16)((1u << (dims - j)) - 1u);
            sa = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, a + j)),
                                 _mm512_maskz_loadu_ps(m, query + j), sa);
        }
        out[r] = _mm512_reduce_add_ps(sa);
    }
}

/// dst[i] = float(src[i]) for i in 0..<count.
__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline void onering_half_to_float_avx512(const uint16_t *src, float *dst, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(src + i))));
    }
    for (; i < count; i++) dst[i] = _cvtsh_ss(src[i]);
}

/// packed[(p · dims + j) · 64 + t] = centroids[(64·p + t) · dims + j], zero past k: the centroids
/// transposed into panels of 64, as `onering_float_scores_avx512` reads them ((k + 63) / 64 panels).
static inline void onering_pack_centroids(const float *centroids, size_t k, size_t dims, float *packed) {
    size_t panels = (k + 63) / 64;
    for (size_t p = 0; p < panels; p++) {
        for (size_t j = 0; j < dims; j++) {
            float *target = packed + (p * dims + j) * 64;
            for (size_t t = 0; t < 64; t++) target[t] = p * 64 + t < k ? centroids[(p * 64 + t) * dims + j] : 0.0f;
        }
    }
}

/// The lanes of a 16-wide slice `offset` of a panel `width` centroids wide.
__attribute__((target("avx512f")))
static inline __mmask16 onering_panel_mask(size_t width, size_t offset) {
    return width >= offset + 16 ? (__mmask16)0xFFFF : width <= offset ? (__mmask16)0 : (__mmask16)((1u << (width - offset)) - 1u);
}

#define ONERING_SCORE_ROW(x, a0, a1, a2, a3)                              \
    {                                                                     \
        __m512 b = _mm512_set1_ps(x);                                     \
        a0 = _mm512_fmadd_ps(b, c0, a0), a1 = _mm512_fmadd_ps(b, c1, a1); \
        a2 = _mm512_fmadd_ps(b, c2, a2), a3 = _mm512_fmadd_ps(b, c3, a3); \
    }
#define ONERING_STORE_ROW(row, a0, a1, a2, a3)                                                  \
    {                                                                                           \
        float *target = scores + (row) * ldc + p * 64;                                          \
        _mm512_mask_storeu_ps(target, m0, a0), _mm512_mask_storeu_ps(target + 16, m1, a1);      \
        _mm512_mask_storeu_ps(target + 32, m2, a2), _mm512_mask_storeu_ps(target + 48, m3, a3); \
    }

/// scores[r · ldc + c] = <rows[r], centroid c> for r in 0..<count, c in 0..<k, from the centroids
/// packed by `onering_pack_centroids`. Six rows × one panel of 64 centroids at a time: 24 named
/// accumulators, a broadcast of each row's coordinate j against four loads of the panel's row j
/// (24 multiply-adds per 10 loads). Each score is summed in coordinate order, one fused
/// multiply-add per coordinate, so a row's scores are the same bits whichever rows it is scored
/// with. The k-means passes use it instead of sgemm, which packs the centroids again for every
/// tile of rows (18 % of a pass in `sgemm_oncopy` at 14,410 × 384 points, k = 64).
__attribute__((target("avx512f")))
static inline void onering_float_scores_avx512(const float *rows, size_t count, size_t dims, const float *packed, size_t k,
                                               float *scores, size_t ldc) {
    for (size_t p = 0; p * 64 < k; p++) {
        const float *panel = packed + p * dims * 64;
        size_t width = k - p * 64 < 64 ? k - p * 64 : 64;
        __mmask16 m0 = onering_panel_mask(width, 0), m1 = onering_panel_mask(width, 16);
        __mmask16 m2 = onering_panel_mask(width, 32), m3 = onering_panel_mask(width, 48);
        size_t r = 0;
        for (; r + 6 <= count; r += 6) {
            const float *x0 = rows + r * dims, *x1 = x0 + dims, *x2 = x1 + dims, *x3 = x2 + dims, *x4 = x3 + dims, *x5 = x4 + dims;
            __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            __m512 a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            __m512 a40 = a00, a41 = a00, a42 = a00, a43 = a00, a50 = a00, a51 = a00, a52 = a00, a53 = a00;
            for (size_t j = 0; j < dims; j++) {
                const float *c = panel + j * 64;
                __m512 c0 = _mm512_loadu_ps(c), c1 = _mm512_loadu_ps(c + 16), c2 = _mm512_loadu_ps(c + 32), c3 = _mm512_loadu_ps(c + 48);
                ONERING_SCORE_ROW(x0[j], a00, a01, a02, a03)
                ONERING_SCORE_ROW(x1[j], a10, a11, a12, a13)
                ONERING_SCORE_ROW(x2[j], a20, a21, a22, a23)
                ONERING_SCORE_ROW(x3[j], a30, a31, a32, a33)
                ONERING_SCORE_ROW(x4[j], a40, a41, a42, a43)
                ONERING_SCORE_ROW(x5[j], a50, a51, a52, a53)
            }
            ONERING_STORE_ROW(r, a00, a01, a02, a03)
            ONERING_STORE_ROW(r + 1, a10, a11, a12, a13)
            ONERING_STORE_ROW(r + 2, a20, a21, a22, a23)
            ONERING_STORE_ROW(r + 3, a30, a31, a32, a33)
            ONERING_STORE_ROW(r + 4, a40, a41, a42, a43)
            ONERING_STORE_ROW(r + 5, a50, a51, a52, a53)
        }
        for (; r < count; r++) {
            const float *x0 = rows + r * dims;
            __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
            for (size_t j = 0; j < dims; j++) {
                const float *c = panel + j * 64;
                __m512 c0 = _mm512_loadu_ps(c), c1 = _mm512_loadu_ps(c + 16), c2 = _mm512_loadu_ps(c + 32), c3 = _mm512_loadu_ps(c + 48);
                ONERING_SCORE_ROW(x0[j], a00, a01, a02, a03)
            }
            ONERING_STORE_ROW(r, a00, a01, a02, a03)
        }
    }
}
#undef ONERING_SCORE_ROW
#undef ONERING_STORE_ROW

/// <a, b> in float32 for one pair of rows, four 16-lane accumulators.
__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline float onering_float_dot_avx512(const float *a, const float *b, size_t dims) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t j = 0;
    for (; j + 64 <= dims; j += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j + 32), _mm512_loadu_ps(b + j + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j + 48), _mm512_loadu_ps(b + j + 48), s3);
    }
    for (; j < dims; j += 16) {
        __mmask16 k = dims - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (dims - j)) - 1u);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, a + j), _mm512_maskz_loadu_ps(k, b + j), s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

/// k-means bounds: bounds[j] -= shifts[j] for j in 0..<k, then writes to `open` each j
/// with max(bounds[j], gaps[j]) <= limit, ascending; returns how many.
__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline size_t onering_bounds_shrink_avx512(float *bounds, const float *shifts, const float *gaps,
                                                  float limit, size_t k, int32_t *open) {
    size_t count = 0;
    const __m512 reach = _mm512_set1_ps(limit);
    for (size_t j = 0; j < k; j += 16) {
        __mmask16 m = k - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (k - j)) - 1u);
        __m512 lowered = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, bounds + j), _mm512_maskz_loadu_ps(m, shifts + j));
        _mm512_mask_storeu_ps(bounds + j, m, lowered);
        __m512 floor = _mm512_max_ps(lowered, _mm512_maskz_loadu_ps(m, gaps + j));
        __mmask16 hits = _mm512_mask_cmp_ps_mask(m, floor, reach, _CMP_LE_OQ);
        while (hits) {
            open[count++] = (int32_t)(j + (size_t)__builtin_ctz(hits));
            hits &= (__mmask16)(hits - 1);
        }
    }
    return count;
}

static inline float onering_hsum256(__m256 v) __attribute__((target("avx2")));
static inline float onering_hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// The AVX2 + F16C form of `onering_half_gemv_avx512`.
__attribute__((target("avx2,fma,f16c")))
static inline void onering_half_gemv_avx2(const uint16_t *rows, size_t count, size_t dims,
                                          const float *query, float *out) {
    for (size_t r = 0; r < count; r++) {
        const uint16_t *a = rows + r * dims;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        size_t j = 0;
        for (; j + 16 <= dims; j += 16) {
            s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + j))),
                                 _mm256_loadu_ps(query + j), s0);
            s1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + j + 8))),
                                 _mm256_loadu_ps(query + j + 8), s1);
        }
        float tail = 0;
        for (; j < dims; j++) tail += _cvtsh_ss(a[j]) * query[j];
        out[r] = onering_hsum256(_mm256_add_ps(s0, s1)) + tail;
    }
}

/// The AVX2 + F16C form of `onering_half_to_float_avx512`.
__attribute__((target("avx2,f16c")))
static inline void onering_half_to_float_avx2(const uint16_t *src, float *dst, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    }
    for (; i < count; i++) dst[i] = _cvtsh_ss(src[i]);
}

/// dst[i] = half(src[i]), round to nearest even (vcvtps2ph), for i in 0..<count.
__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline void onering_float_to_half_avx512(const float *src, uint16_t *dst, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        _mm256_storeu_si256((__m256i *)(dst + i), _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < count; i++) dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}

/// The AVX2 + F16C form of `onering_float_to_half_avx512`.
__attribute__((target("avx2,f16c")))
static inline void onering_float_to_half_avx2(const float *src, uint16_t *dst, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < count; i++) dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}

// MARK: int8 (AVX-512 VNNI)
//
// Rows are int8 codes padded with zeros to a `stride` that is a multiple of 64; queries are
// the query's int8 codes plus 128, as unsigned bytes (VNNI multiplies unsigned by signed
// bytes), so each result is Σ (q + 128)·x = Σ q·x + 128·Σ x, and the caller subtracts
// 128 × the row's code sum. Every sum is exact in int32 for rows of up to 16,000 dimensions.

/// [Σ a, Σ b, Σ c, Σ d] over the sixteen int32 lanes of each: three unpack-and-add steps, then
/// two folds of the halves (about a third of the instructions of four separate reductions,
/// which at 384 dimensions cost as much as the multiply-adds).
__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline __m128i onering_reduce4_epi32(__m512i a, __m512i b, __m512i c, __m512i d) {
    __m512i ab = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
    __m512i cd = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
    __m512i abcd = _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));
    __m256i half = _mm256_add_epi32(_mm512_castsi512_si256(abcd), _mm512_extracti64x4_epi64(abcd, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
}

/// out[r] = Σ_j query[j] · rows[r][j] for r in 0..<count (u8 × s8, int32).
///
/// Four rows share each load of the query, with the next four prefetched, as in the float16 kernel.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
static inline void onering_int8_gemv_vnni(const int8_t *rows, size_t count, size_t stride,
                                          const uint8_t *query, int32_t *out) {
    size_t r = 0;
    for (; r + 4 <= count; r += 4) {
        const int8_t *a = rows + r * stride, *b = a + stride, *c = b + stride, *d = c + stride;
        const int8_t *next = r + 8 <= count ? a + 4 * stride : a;
        __m512i sa = _mm512_setzero_si512(), sb = _mm512_setzero_si512();
        __m512i sc = _mm512_setzero_si512(), sd = _mm512_setzero_si512();
        for (size_t j = 0; j < stride; j += 64) {
            _mm_prefetch((const char *)(next + j), _MM_HINT_T0);
            _mm_prefetch((const char *)(next + stride + j), _MM_HINT_T0);
            _mm_prefetch((const char *)(next + 2 * stride + j), _MM_HINT_T0);
            _mm_prefetch((const char *)(next + 3 * stride + j), _MM_HINT_T0);
            __m512i q = _mm512_loadu_si512((const void *)(query + j));
            sa = _mm512_dpbusd_epi32(sa, q, _mm512_loadu_si512((const void *)(a + j)));
            sb = _mm512_dpbusd_epi32(sb, q, _mm512_loadu_si512((const void *)(b + j)));
            sc = _mm512_dpbusd_epi32(sc, q, _mm512_loadu_si512((const void *)(c + j)));
            sd = _mm512_dpbusd_epi32(sd, q, _mm512_loadu_si512((const void *)(d + j)));
        }
        _mm_storeu_si128((__m128i *)(out + r), onering_reduce4_epi32(sa, sb, sc, sd));
    }
    for (; r < count; r++) {
        const int8_t *a = rows + r * stride;
        __m512i sa = _mm512_setzero_si512();
        for (size_t j = 0; j < stride; j += 64) {
            sa = _mm512_dpbusd_epi32(sa, _mm512_loadu_si512((const void *)(query + j)), _mm512_loadu_si512((const void *)(a + j)));
        }
        out[r] = _mm512_reduce_add_epi32(sa);
    }
}

/// out[q * ldo + r] = Σ_j queries[q][j] · rows[r][j] for q in 0..<m, r in 0..<count (u8 × s8, int32).
///
/// Tiles of 4 rows × 4 queries: 16 accumulators, 8 loads per 16 multiply-adds; the last one to
/// three queries take the same 4 rows one query at a time (they are in cache). The caller keeps
/// `count` small enough (a block of rows) for the rows to stay in cache across the query tiles.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
static inline void onering_int8_gemm_vnni(const int8_t *rows, size_t count, size_t stride,
                                          const uint8_t *queries, size_t m, int32_t *out, size_t ldo) {
    size_t r = 0;
    for (; r + 4 <= count; r += 4) {
        const int8_t *a = rows + r * stride;
        size_t q = 0;
        for (; q + 4 <= m; q += 4) {
            // Sixteen named accumulators, written out: the compiler keeps them in registers at
            // any optimisation level (an array of them went to the stack in the package's build).
            const uint8_t *u = queries + q * stride;
            __m512i s00 = _mm512_setzero_si512(), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
            __m512i s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
            for (size_t j = 0; j < stride; j += 64) {
                __m512i x0 = _mm512_loadu_si512((const void *)(a + j));
                __m512i x1 = _mm512_loadu_si512((const void *)(a + stride + j));
                __m512i x2 = _mm512_loadu_si512((const void *)(a + 2 * stride + j));
                __m512i x3 = _mm512_loadu_si512((const void *)(a + 3 * stride + j));
                __m512i y = _mm512_loadu_si512((const void *)(u + j));
                s00 = _mm512_dpbusd_epi32(s00, y, x0), s01 = _mm512_dpbusd_epi32(s01, y, x1);
                s02 = _mm512_dpbusd_epi32(s02, y, x2), s03 = _mm512_dpbusd_epi32(s03, y, x3);
                y = _mm512_loadu_si512((const void *)(u + stride + j));
                s10 = _mm512_dpbusd_epi32(s10, y, x0), s11 = _mm512_dpbusd_epi32(s11, y, x1);
                s12 = _mm512_dpbusd_epi32(s12, y, x2), s13 = _mm512_dpbusd_epi32(s13, y, x3);
                y = _mm512_loadu_si512((const void *)(u + 2 * stride + j));
                s20 = _mm512_dpbusd_epi32(s20, y, x0), s21 = _mm512_dpbusd_epi32(s21, y, x1);
                s22 = _mm512_dpbusd_epi32(s22, y, x2), s23 = _mm512_dpbusd_epi32(s23, y, x3);
                y = _mm512_loadu_si512((const void *)(u + 3 * stride + j));
                s30 = _mm512_dpbusd_epi32(s30, y, x0), s31 = _mm512_dpbusd_epi32(s31, y, x1);
                s32 = _mm512_dpbusd_epi32(s32, y, x2), s33 = _mm512_dpbusd_epi32(s33, y, x3);
            }
            _mm_storeu_si128((__m128i *)(out + q * ldo + r), onering_reduce4_epi32(s00, s01, s02, s03));
            _mm_storeu_si128((__m128i *)(out + (q + 1) * ldo + r), onering_reduce4_epi32(s10, s11, s12, s13));
            _mm_storeu_si128((__m128i *)(out + (q + 2) * ldo + r), onering_reduce4_epi32(s20, s21, s22, s23));
            _mm_storeu_si128((__m128i *)(out + (q + 3) * ldo + r), onering_reduce4_epi32(s30, s31, s32, s33));
        }
        for (; q < m; q++) {
            const uint8_t *u = queries + q * stride;
            __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
            for (size_t j = 0; j < stride; j += 64) {
                __m512i y = _mm512_loadu_si512((const void *)(u + j));
                s0 = _mm512_dpbusd_epi32(s0, y, _mm512_loadu_si512((const void *)(a + j)));
                s1 = _mm512_dpbusd_epi32(s1, y, _mm512_loadu_si512((const void *)(a + stride + j)));
                s2 = _mm512_dpbusd_epi32(s2, y, _mm512_loadu_si512((const void *)(a + 2 * stride + j)));
                s3 = _mm512_dpbusd_epi32(s3, y, _mm512_loadu_si512((const void *)(a + 3 * stride + j)));
            }
            _mm_storeu_si128((__m128i *)(out + q * ldo + r), onering_reduce4_epi32(s0, s1, s2, s3));
        }
    }
    if (r < count) {
        for (size_t q = 0; q < m; q++) onering_int8_gemv_vnni(rows + r * stride, count - r, stride, queries + q * stride, out + q * ldo + r);
    }
}

// MARK: int8 (AVX2)
//
// The same sums as the VNNI kernels, exactly, on CPUs without VNNI. `vpmaddubsw` multiplies
// unsigned by signed bytes but saturates each pair's sum in int16, which (q + 128)·x can pass;
// so each product is taken as |q|·(x·sign q) with q = u − 128, whose pairs stay within
// 2·128·127 = 32,512, and 128·Σ x is added at the end. Rows must hold codes in −127…127 (the
// codes never use −128).

/// The sum of the eight int32 lanes of `v`.
__attribute__((target("avx2")))
static inline int32_t onering_hsum256_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

/// The AVX2 form of `onering_int8_gemv_vnni`: out[r] = Σ_j query[j] · rows[r][j] (u8 × s8, int32).
///
/// Four rows share each load of the query, with the next four prefetched. A row's Σ x is kept in
/// int16 pair sums (at most 254 a step), folded into int32 every 128 steps of 32 bytes.
__attribute__((target("avx2")))
static inline void onering_int8_gemv_avx2(const int8_t *rows, size_t count, size_t stride,
                                          const uint8_t *query, int32_t *out) {
    const __m256i bias = _mm256_set1_epi8((char)0x80), ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    size_t r = 0;
    for (; r + 4 <= count; r += 4) {
        const int8_t *row[4] = {rows + r * stride, rows + (r + 1) * stride, rows + (r + 2) * stride, rows + (r + 3) * stride};
        const int8_t *next = r + 8 <= count ? row[0] + 4 * stride : row[0];
        __m256i products[4], pairs[4], wide[4];
        for (int i = 0; i < 4; i++) products[i] = pairs[i] = wide[i] = _mm256_setzero_si256();
        for (size_t j = 0, step = 0; j < stride; j += 32, step++) {
            if ((j & 63) == 0) {
                for (int i = 0; i < 4; i++) _mm_prefetch((const char *)(next + i * stride + j), _MM_HINT_T0);
            }
            __m256i q = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(query + j)), bias);
            __m256i magnitude = _mm256_abs_epi8(q);
            if (step == 128) {
                for (int i = 0; i < 4; i++) {
                    wide[i] = _mm256_add_epi32(wide[i], _mm256_madd_epi16(pairs[i], ones16));
                    pairs[i] = _mm256_setzero_si256();
                }
                step = 0;
            }
            for (int i = 0; i < 4; i++) {
                __m256i x = _mm256_loadu_si256((const __m256i *)(row[i] + j));
                products[i] = _mm256_add_epi32(products[i], _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(x, q)), ones16));
                pairs[i] = _mm256_add_epi16(pairs[i], _mm256_maddubs_epi16(ones8, x));
            }
        }
        for (int i = 0; i < 4; i++) {
            wide[i] = _mm256_add_epi32(wide[i], _mm256_madd_epi16(pairs[i], ones16));
            out[r + i] = onering_hsum256_epi32(_mm256_add_epi32(products[i], _mm256_slli_epi32(wide[i], 7)));
        }
    }
    for (; r < count; r++) {
        const int8_t *a = rows + r * stride;
        __m256i products = _mm256_setzero_si256(), pairs = _mm256_setzero_si256(), wide = _mm256_setzero_si256();
        for (size_t j = 0, step = 0; j < stride; j += 32, step++) {
            if (step == 128) {
                wide = _mm256_add_epi32(wide, _mm256_madd_epi16(pairs, ones16));
                pairs = _mm256_setzero_si256();
                step = 0;
            }
            __m256i q = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(query + j)), bias);
            __m256i x = _mm256_loadu_si256((const __m256i *)(a + j));
            products = _mm256_add_epi32(products, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(q), _mm256_sign_epi8(x, q)), ones16));
            pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(ones8, x));
        }
        wide = _mm256_add_epi32(wide, _mm256_madd_epi16(pairs, ones16));
        out[r] = onering_hsum256_epi32(_mm256_add_epi32(products, _mm256_slli_epi32(wide, 7)));
    }
}

/// Σ x of a row of int8 codes, `stride` bytes (a multiple of 32), in int32.
__attribute__((target("avx2")))
static inline int32_t onering_int8_sum_avx2(const int8_t *row, size_t stride) {
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    __m256i sums = _mm256_setzero_si256();
    for (size_t j = 0; j < stride; j += 32) {
        sums = _mm256_add_epi32(sums, _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, _mm256_loadu_si256((const __m256i *)(row + j))), ones16));
    }
    return onering_hsum256_epi32(sums);
}

/// The AVX2 form of `onering_int8_gemm_vnni`: out[q * ldo + r] = Σ_j queries[q][j] · rows[r][j].
///
/// Tiles of 2 rows × 4 queries: 8 accumulators, each query's q and |q| made once per step for both
/// rows; each row's 128·Σ x is added once per tile. The caller keeps `count` small enough (a block
/// of rows) for the rows to stay in cache across the query tiles.
__attribute__((target("avx2")))
static inline void onering_int8_gemm_avx2(const int8_t *rows, size_t count, size_t stride,
                                          const uint8_t *queries, size_t m, int32_t *out, size_t ldo) {
    const __m256i bias = _mm256_set1_epi8((char)0x80), ones16 = _mm256_set1_epi16(1);
    size_t r = 0;
    for (; r + 2 <= count; r += 2) {
        const int8_t *a = rows + r * stride, *b = a + stride;
        const int32_t offsets[2] = {128 * onering_int8_sum_avx2(a, stride), 128 * onering_int8_sum_avx2(b, stride)};
        size_t q = 0;
        for (; q + 4 <= m; q += 4) {
            // Eight named accumulators, written out: an array of them went to the stack in the
            // package's build, a load and a store per multiply-add.
            const uint8_t *u = queries + q * stride;
            __m256i s0a = _mm256_setzero_si256(), s0b = s0a, s1a = s0a, s1b = s0a, s2a = s0a, s2b = s0a, s3a = s0a, s3b = s0a;
            for (size_t j = 0; j < stride; j += 32) {
                __m256i x0 = _mm256_loadu_si256((const __m256i *)(a + j));
                __m256i x1 = _mm256_loadu_si256((const __m256i *)(b + j));
#define ONERING_AVX2_STEP(i, sa, sb)                                                                                       \
    {                                                                                                                      \
        __m256i signed_q = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(u + (i) * stride + j)), bias);          \
        __m256i magnitude = _mm256_abs_epi8(signed_q);                                                                     \
        sa = _mm256_add_epi32(sa, _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(x0, signed_q)), ones16)); \
        sb = _mm256_add_epi32(sb, _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(x1, signed_q)), ones16)); \
    }
                ONERING_AVX2_STEP(0, s0a, s0b)
                ONERING_AVX2_STEP(1, s1a, s1b)
                ONERING_AVX2_STEP(2, s2a, s2b)
                ONERING_AVX2_STEP(3, s3a, s3b)
#undef ONERING_AVX2_STEP
            }
            out[q * ldo + r] = onering_hsum256_epi32(s0a) + offsets[0];
            out[q * ldo + r + 1] = onering_hsum256_epi32(s0b) + offsets[1];
            out[(q + 1) * ldo + r] = onering_hsum256_epi32(s1a) + offsets[0];
            out[(q + 1) * ldo + r + 1] = onering_hsum256_epi32(s1b) + offsets[1];
            out[(q + 2) * ldo + r] = onering_hsum256_epi32(s2a) + offsets[0];
            out[(q + 2) * ldo + r + 1] = onering_hsum256_epi32(s2b) + offsets[1];
            out[(q + 3) * ldo + r] = onering_hsum256_epi32(s3a) + offsets[0];
            out[(q + 3) * ldo + r + 1] = onering_hsum256_epi32(s3b) + offsets[1];
        }
        for (; q < m; q++) onering_int8_gemv_avx2(a, 2, stride, queries + q * stride, out + q * ldo + r);
    }
    if (r < count) {
        for (size_t q = 0; q < m; q++) onering_int8_gemv_avx2(rows + r * stride, count - r, stride, queries + q * stride, out + q * ldo + r);
    }
}

#endif // __x86_64__

#endif
