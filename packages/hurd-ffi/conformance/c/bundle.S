/* The scenario bundle, linked into the task image (BUNDLE is its path). */
	.section .rodata
	.balign 8
	.globl bundle_start, bundle_end
bundle_start:
	.incbin BUNDLE
bundle_end:
	.section .note.GNU-stack,"",@progbits
