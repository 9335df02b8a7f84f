/* Entry point and Mach trap stubs for the x86_64 ABI (mach-abi.md section 6):
   the trap number goes in %rax, the arguments in rdi, rsi, rdx, r10, r8, r9,
   and the seventh stays at 8(%rsp), where the C calling convention put it. */
	.text
	.globl _start
_start:
	movq	%rsp, %rdi		/* argc, argv[], 0, envp[], 0 as the kernel built them */
	andq	$-16, %rsp
	call	cmain
1:	jmp	1b

#define TRAP(sym, num)		\
	.globl sym;		\
sym:				\
	movq	$num, %rax;	\
	movq	%rcx, %r10;	\
	syscall;		\
	ret

TRAP(mach_msg_trap, -25)
TRAP(mach_reply_port, -26)
TRAP(mach_thread_self, -27)
TRAP(mach_task_self, -28)
TRAP(mach_host_self, -29)
	.section .note.GNU-stack,"",@progbits
