/*
 * Thin wrappers around x86-64 instructions: port I/O, MSRs, control
 * registers, CPUID, the interrupt flag, TSC and TLB maintenance. Used by
 * every arch file and by the few core files that must halt or read the TSC.
 */
#ifndef ARCH_X86_64_CPU_H
#define ARCH_X86_64_CPU_H

#include <lib/types.h>

#define MSR_EFER	   0xc0000080
#define MSR_STAR	   0xc0000081
#define MSR_LSTAR	   0xc0000082
#define MSR_FMASK	   0xc0000084
#define MSR_FS_BASE	   0xc0000100
#define MSR_GS_BASE	   0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_APIC_BASE	   0x1b

#define RFLAGS_IF (1UL << 9)
#define RFLAGS_AC (1UL << 18)

#define CR0_WP	 (1UL << 16)
#define CR4_PGE	 (1UL << 7)
#define CR4_SMEP (1UL << 20)
#define CR4_SMAP (1UL << 21)

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

#define DEFINE_CR_ACCESS(n)                                                \
	static inline uint64_t read_cr##n(void)                            \
	{                                                                  \
		uint64_t v;                                                \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));          \
		return v;                                                  \
	}                                                                  \
	static inline void write_cr##n(uint64_t v)                         \
	{                                                                  \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
#undef DEFINE_CR_ACCESS

/* The debug registers DR0-DR3, DR6, DR7 (n a constant). */
#define read_dr(n)                                                  \
	({                                                          \
		uint64_t __v;                                       \
		__asm__ volatile("mov %%db" #n ", %0" : "=r"(__v)); \
		__v;                                                \
	})
#define write_dr(n, v) __asm__ volatile("mov %0, %%db" #n : : "r"((uint64_t)(v)) : "memory")

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_rflags(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline bool irqs_enabled(void)
{
	return read_rflags() & RFLAGS_IF;
}

/* Disable interrupts and return whether they were enabled. */
static inline unsigned long irq_save(void)
{
	unsigned long f = read_rflags();
	irq_disable();
	return f & RFLAGS_IF;
}

static inline void irq_restore(unsigned long was_enabled)
{
	if (was_enabled)
		irq_enable();
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void cpu_halt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}

/* Wait for the next interrupt with interrupts enabled, atomically. */
static inline void cpu_idle_wait(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

#endif
