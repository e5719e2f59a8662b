#include "textflag.h"

// func axpy4AVX2(dst, s0, s1, s2, s3 *float32, a0, a1, a2, a3 float32, n int)
//
// dst += a0·s0 + a1·s1 + a2·s2 + a3·s3, n a multiple of 8. Four source
// rows per pass load and store dst once for four sparse entries, which is
// what bounds the sparse product.
TEXT ·axpy4AVX2(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ s0+8(FP), R8
	MOVQ s1+16(FP), R9
	MOVQ s2+24(FP), R10
	MOVQ s3+32(FP), R11
	VBROADCASTSS a0+40(FP), Y12
	VBROADCASTSS a1+44(FP), Y13
	VBROADCASTSS a2+48(FP), Y14
	VBROADCASTSS a3+52(FP), Y15
	MOVQ n+56(FP), CX
	XORQ AX, AX

loop:
	VMOVUPS (DI)(AX*4), Y0
	VMULPS (R8)(AX*4), Y12, Y1
	VFMADD231PS (R9)(AX*4), Y13, Y0
	VFMADD231PS (R10)(AX*4), Y14, Y1
	VFMADD231PS (R11)(AX*4), Y15, Y0
	VADDPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	CMPQ AX, CX
	JL   loop

	VZEROUPPER
	RET
