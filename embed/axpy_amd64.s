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

// func dot4f64AVX2(a, b0, b1, b2, b3 *float64, n int) (s0, s1, s2, s3 float64)
//
// Four float64 dot products of a with four rows, n a multiple of 4: the
// kernel of the fit's Gram matrices and products, where float64 keeps the
// orthonormalization exact enough.
TEXT ·dot4f64AVX2(SB), NOSPLIT, $0-80
	MOVQ a+0(FP), SI
	MOVQ b0+8(FP), R8
	MOVQ b1+16(FP), R9
	MOVQ b2+24(FP), R10
	MOVQ b3+32(FP), R11
	MOVQ n+40(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ AX, AX

loop4:
	VMOVUPD (SI)(AX*8), Y8
	VFMADD231PD (R8)(AX*8), Y8, Y0
	VFMADD231PD (R9)(AX*8), Y8, Y1
	VFMADD231PD (R10)(AX*8), Y8, Y2
	VFMADD231PD (R11)(AX*8), Y8, Y3
	ADDQ $4, AX
	CMPQ AX, CX
	JL   loop4

	VEXTRACTF128 $1, Y0, X8
	VADDPD X8, X0, X0
	VHADDPD X0, X0, X0
	MOVSD X0, s0+48(FP)
	VEXTRACTF128 $1, Y1, X8
	VADDPD X8, X1, X1
	VHADDPD X1, X1, X1
	MOVSD X1, s1+56(FP)
	VEXTRACTF128 $1, Y2, X8
	VADDPD X8, X2, X2
	VHADDPD X2, X2, X2
	MOVSD X2, s2+64(FP)
	VEXTRACTF128 $1, Y3, X8
	VADDPD X8, X3, X3
	VHADDPD X3, X3, X3
	MOVSD X3, s3+72(FP)
	VZEROUPPER
	RET
