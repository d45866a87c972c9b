/*
 * The saved state of an interrupted context, as built by trap_common in
 * arch/x86_64/entry.S, and the interface for interrupt handlers.
 */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <lib/types.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Exception vectors used by name. */
#define VEC_DIVIDE	   0
#define VEC_DEBUG	   1
#define VEC_NMI		   2
#define VEC_BREAKPOINT	   3
#define VEC_INVALID_OPCODE 6
#define VEC_DOUBLE_FAULT   8
#define VEC_GP		   13
#define VEC_PAGE_FAULT	   14
#define VEC_MACHINE_CHECK  18
/* Interrupt vectors. */
#define VEC_PIC_BASE	   0x20 /* legacy 8259s, remapped and masked */
#define VEC_IRQ_BASE	   0x30 /* IOAPIC-routed device interrupts */
#define VEC_TIMER	   0xf0
#define VEC_IPI_RESCHED	   0xf1 /* pick again (a wake-up from another CPU) */
#define VEC_IPI_CALL	   0xf2 /* smp_call_others */
#define VEC_IPI_TLB	   0xf3 /* TLB shootdown (mm) */
#define VEC_SPURIOUS	   0xff

#define PF_PRESENT (1 << 0)
#define PF_WRITE   (1 << 1)
#define PF_USER	   (1 << 2)
#define PF_RSVD	   (1 << 3)
#define PF_FETCH   (1 << 4)

typedef void (*irq_handler_t)(struct trap_frame *frame, void *ctx);

void idt_init(void);
void idt_load(void);
/* Installs a handler for vector (>= VEC_IRQ_BASE); the LAPIC is acknowledged after it. */
void irq_register(unsigned vector, irq_handler_t handler, void *ctx);
const char *exception_name(unsigned vector);

static inline bool trap_from_user(const struct trap_frame *f)
{
	return f->cs & 3;
}

#endif
