/* C types of conformance.defs, for the MIG-generated stubs. Written for this
 * project. */
#ifndef CONFORMANCE_TYPES_H
#define CONFORMANCE_TYPES_H
#include <stdint.h>
#include <mach/std_types.h>

typedef int16_t short_t;
typedef char char_t;
typedef uint8_t byte_t;
typedef int64_t offset64_t;

typedef char name16_t[16];
typedef const char *const_name16_t;
typedef char path_t[64];
typedef const char *const_path_t;

typedef int intvec_t[8];
typedef const int *const_intvec_t;
typedef int quad4_t[4];
typedef const int *const_quad4_t;
typedef struct { int v[2]; } pair_t;
typedef pair_t pairs_t[6];
typedef const pair_t *const_pairs_t;
typedef struct { int32_t a, b, c; } record_t;
typedef int64_t wide_t[4];
typedef const int64_t *const_wide_t;
typedef short_t shortvec_t[5];
typedef const short_t *const_shortvec_t;

typedef char_t *data_t;
typedef const char_t *const_data_t;
typedef vm_offset_t ool_t;
typedef char_t block8k_t[8192];
typedef const char_t *const_block8k_t;
typedef mach_port_t *portvec_t;
typedef const mach_port_t *const_portvec_t;
typedef mach_port_name_t *namevec_t;
typedef const mach_port_name_t *const_namevec_t;
typedef mach_port_t *polyvec_t;
typedef const mach_port_t *const_polyvec_t;
typedef mach_port_t *polyool_t;

#endif
