// CUDA's built-in vector types for the emulator: dim3/uint3 and the float2/float4/int4/...
// family with CUDA's sizes and alignments (float4 is 16-byte aligned), plus make_* helpers.
#pragma once

#include <ostream>

struct uint3 {
  unsigned x, y, z;
};

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return {x, y, z}; }
};

inline std::ostream& operator<<(std::ostream& out, const dim3& d) {
  return out << '(' << d.x << ',' << d.y << ',' << d.z << ')';
}
inline std::ostream& operator<<(std::ostream& out, const uint3& d) { return out << dim3(d); }

// ---- vector types (layout and alignment as in CUDA's vector_types.h)
#define SIMT_VECTOR2(T, name, align) \
  struct alignas(align) name {       \
    T x, y;                          \
  };                                 \
  inline constexpr name make_##name(T x, T y) { return {x, y}; }
#define SIMT_VECTOR3(T, name)                                              \
  struct name {                                                            \
    T x, y, z;                                                             \
  };                                                                       \
  inline constexpr name make_##name(T x, T y, T z) { return {x, y, z}; }
#define SIMT_VECTOR4(T, name, align)                                                \
  struct alignas(align) name {                                                      \
    T x, y, z, w;                                                                   \
  };                                                                                \
  inline constexpr name make_##name(T x, T y, T z, T w) { return {x, y, z, w}; }

SIMT_VECTOR2(float, float2, 8)
SIMT_VECTOR3(float, float3)
SIMT_VECTOR4(float, float4, 16)
SIMT_VECTOR2(double, double2, 16)
SIMT_VECTOR2(int, int2, 8)
SIMT_VECTOR3(int, int3)
SIMT_VECTOR4(int, int4, 16)
SIMT_VECTOR2(unsigned, uint2, 8)
SIMT_VECTOR4(unsigned, uint4, 16)
SIMT_VECTOR2(long long, longlong2, 16)
SIMT_VECTOR2(short, short2, 4)
SIMT_VECTOR2(unsigned short, ushort2, 4)
SIMT_VECTOR4(signed char, char4, 4)
SIMT_VECTOR4(unsigned char, uchar4, 4)
inline constexpr uint3 make_uint3(unsigned x, unsigned y, unsigned z) { return {x, y, z}; }

#undef SIMT_VECTOR2
#undef SIMT_VECTOR3
#undef SIMT_VECTOR4

static_assert(sizeof(float4) == 16 && alignof(float4) == 16, "float4 must match CUDA's layout");
static_assert(sizeof(float2) == 8 && alignof(float2) == 8, "float2 must match CUDA's layout");
static_assert(sizeof(float3) == 12, "float3 must match CUDA's layout");
