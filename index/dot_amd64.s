#include "textflag.h"

// HSUMPS leaves the sum of the eight floats of y in the low lane of x,
// its lower half; HSUMD does the same for eight int32. Both use X8.
#define HSUMPS(y, x) VEXTRACTF128 $1, y, X8; VADDPS X8, x, x; VHADDPS x, x, x; VHADDPS x, x, x
#define HSUMD(y, x) VEXTRACTI128 $1, y, X8; VPADDD X8, x, x; VPHADDD x, x, x; VPHADDD x, x, x

// func dot4AVX2(q, r0, r1, r2, r3 *float32, n int) (s0, s1, s2, s3 float32)
//
// Four dot products of q with four rows, n a multiple of 16: q is loaded
// once per 8 floats and feeds four fused multiply-adds; two accumulators
// per row hide the FMA latency.
TEXT ·dot4AVX2(SB), NOSPLIT, $0-64
	MOVQ q+0(FP), SI
	MOVQ r0+8(FP), R8
	MOVQ r1+16(FP), R9
	MOVQ r2+24(FP), R10
	MOVQ r3+32(FP), R11
	MOVQ n+40(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ AX, AX

loop:
	VMOVUPS (SI)(AX*4), Y8
	VMOVUPS 32(SI)(AX*4), Y9
	VFMADD231PS (R8)(AX*4), Y8, Y0
	VFMADD231PS 32(R8)(AX*4), Y9, Y4
	VFMADD231PS (R9)(AX*4), Y8, Y1
	VFMADD231PS 32(R9)(AX*4), Y9, Y5
	VFMADD231PS (R10)(AX*4), Y8, Y2
	VFMADD231PS 32(R10)(AX*4), Y9, Y6
	VFMADD231PS (R11)(AX*4), Y8, Y3
	VFMADD231PS 32(R11)(AX*4), Y9, Y7
	ADDQ $16, AX
	CMPQ AX, CX
	JL   loop

	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3

	HSUMPS(Y0, X0)
	MOVSS X0, s0+48(FP)
	HSUMPS(Y1, X1)
	MOVSS X1, s1+52(FP)

	HSUMPS(Y2, X2)
	MOVSS X2, s2+56(FP)
	HSUMPS(Y3, X3)
	MOVSS X3, s3+60(FP)

	VZEROUPPER
	RET

// func dot4CodesAVX2(q *int16, c0, c1, c2, c3 *int8, n int) (s0, s1, s2, s3 int32)
//
// Four integer dot products of an int16 query with four int8 rows, n a
// multiple of 32: codes are sign-extended to int16 and VPMADDWD multiplies
// and sums pairs into int32 lanes, half the instructions per element of a
// float32 path. The caller bounds the query (queryRange) so that no sum
// overflows int32.
TEXT ·dot4CodesAVX2(SB), NOSPLIT, $0-64
	MOVQ q+0(FP), SI
	MOVQ c0+8(FP), R8
	MOVQ c1+16(FP), R9
	MOVQ c2+24(FP), R10
	MOVQ c3+32(FP), R11
	MOVQ n+40(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	XORQ AX, AX

codeloop:
	VMOVDQU   (SI)(AX*2), Y8
	VMOVDQU   32(SI)(AX*2), Y9
	VPMOVSXBW (R8)(AX*1), Y10
	VPMOVSXBW 16(R8)(AX*1), Y11
	VPMOVSXBW (R9)(AX*1), Y12
	VPMOVSXBW 16(R9)(AX*1), Y13
	VPMADDWD  Y10, Y8, Y10
	VPMADDWD  Y11, Y9, Y11
	VPMADDWD  Y12, Y8, Y12
	VPMADDWD  Y13, Y9, Y13
	VPADDD    Y10, Y0, Y0
	VPADDD    Y11, Y4, Y4
	VPADDD    Y12, Y1, Y1
	VPADDD    Y13, Y5, Y5
	VPMOVSXBW (R10)(AX*1), Y10
	VPMOVSXBW 16(R10)(AX*1), Y11
	VPMOVSXBW (R11)(AX*1), Y12
	VPMOVSXBW 16(R11)(AX*1), Y13
	VPMADDWD  Y10, Y8, Y10
	VPMADDWD  Y11, Y9, Y11
	VPMADDWD  Y12, Y8, Y12
	VPMADDWD  Y13, Y9, Y13
	VPADDD    Y10, Y2, Y2
	VPADDD    Y11, Y6, Y6
	VPADDD    Y12, Y3, Y3
	VPADDD    Y13, Y7, Y7
	ADDQ      $32, AX
	CMPQ      AX, CX
	JL        codeloop

	VPADDD Y4, Y0, Y0
	VPADDD Y5, Y1, Y1
	VPADDD Y6, Y2, Y2
	VPADDD Y7, Y3, Y3

	HSUMD(Y0, X0)
	MOVSS X0, s0+48(FP)
	HSUMD(Y1, X1)
	MOVSS X1, s1+52(FP)

	HSUMD(Y2, X2)
	MOVSS X2, s2+56(FP)
	HSUMD(Y3, X3)
	MOVSS X3, s3+60(FP)

	VZEROUPPER
	RET
