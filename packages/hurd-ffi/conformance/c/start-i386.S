/* Entry point and Mach trap stubs for the i386 ABI (mach-abi.md section 6):
   the trap number goes in %eax, the arguments stay on the user stack, and
   `lcall $7,$0` enters the kernel. */
	.text
	.globl _start
_start:
	movl	%esp, %eax		/* argc, argv[], 0, envp[], 0 as the kernel built them */
	andl	$-16, %esp
	subl	$12, %esp
	pushl	%eax
	call	cmain
1:	jmp	1b

#define TRAP(sym, num)		\
	.globl sym;		\
sym:				\
	movl	$num, %eax;	\
	lcall	$7, $0;		\
	ret

TRAP(mach_msg_trap, -25)
TRAP(mach_reply_port, -26)
TRAP(mach_thread_self, -27)
TRAP(mach_task_self, -28)
TRAP(mach_host_self, -29)
	.section .note.GNU-stack,"",@progbits
