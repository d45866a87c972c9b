/*
 * CPU features (include/arch/x86_64/cpu_setup.h), called from kmain.
 *
 * User threads get x87 and SSE state only (XCR0 is not enabled, so CPUID
 * tells programs that AVX is unusable and musl/glibc do not use it): their
 * FPU state fits FXSAVE's 512 bytes, which keeps a blocked thread small.
 */
#include <arch/x86_64/cpu_setup.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/gdt.h>
#include <arch/x86_64/smap.h>
#include <lib/string.h>

#define CR0_MP	       (1UL << 1)
#define CR0_EM	       (1UL << 2)
#define CR0_TS	       (1UL << 3)
#define CR4_OSFXSR     (1UL << 9)
#define CR4_OSXMMEXCPT (1UL << 10)
#define EFER_SCE       (1UL << 0)
#define NOP3	       0x001f0f /* nopl (%rax) */
#define SYSCALL_FMASK  0x47700	/* TF, IF, DF, NT, AC cleared on entry */

struct cpu_features cpu_features; /* [I] set at boot, before other CPUs start */

extern const uint64_t _smap_sites_start[], _smap_sites_end[];
void syscall_entry(void);

void smap_patch(bool cpu_has_smap)
{
	if (cpu_has_smap)
		return;
	for (const uint64_t *site = _smap_sites_start; site < _smap_sites_end; site++) {
		uint8_t *insn = (uint8_t *)*site;

		insn[0] = NOP3 & 0xff;
		insn[1] = (NOP3 >> 8) & 0xff;
		insn[2] = NOP3 >> 16;
	}
}

void cpu_detect(void)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	cpu_features.max_leaf = r[0];
	memcpy(cpu_features.vendor, &r[1], 4);
	memcpy(cpu_features.vendor + 4, &r[3], 4);
	memcpy(cpu_features.vendor + 8, &r[2], 4);
	if (cpu_features.max_leaf >= 7) {
		cpuid(7, 0, r);
		cpu_features.smep = r[1] & (1 << 7);
		cpu_features.smap = r[1] & (1 << 20);
		cpu_features.fsgsbase = r[1] & (1 << 0);
	}
	cpuid(1, 0, r);
	cpu_features.pge = r[3] & (1 << 13);
	cpuid(0x80000001, 0, r);
	cpu_features.nx = r[3] & (1 << 20);
	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000004)
		for (uint32_t leaf = 0; leaf < 3; leaf++) {
			cpuid(0x80000002 + leaf, 0, r);
			memcpy(cpu_features.brand + 16 * leaf, r, 16);
		}
	smap_patch(cpu_features.smap);
}

void cpu_enable_protection(void)
{
	uint64_t cr4 = read_cr4();

	if (cpu_features.pge)
		cr4 |= CR4_PGE;
	if (cpu_features.smep)
		cr4 |= CR4_SMEP;
	if (cpu_features.smap)
		cr4 |= CR4_SMAP;
	write_cr4(cr4);
}

void fpu_init(void)
{
	write_cr0((read_cr0() | CR0_MP) & ~(CR0_EM | CR0_TS));
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

void fpu_save(struct fpu_state *s)
{
	__asm__ volatile("fxsaveq %0" : "=m"(*s));
}

void fpu_restore(const struct fpu_state *s)
{
	__asm__ volatile("fxrstorq %0" : : "m"(*s));
}

void fpu_init_state(struct fpu_state *s)
{
	memset(s, 0, sizeof(*s));
	s->area[0] = 0x7f; /* FCW = 0x037f: all x87 exceptions masked */
	s->area[1] = 0x03;
	s->area[24] = 0x80; /* MXCSR = 0x1f80: all SSE exceptions masked */
	s->area[25] = 0x1f;
}

void syscall_init(void)
{
	/* sysret loads CS = base + 16 and SS = base + 8 from STAR[63:48]. */
	uint64_t user_base = SEL_USER_DATA - 8;

	wrmsr(MSR_STAR, ((uint64_t)user_base << 48) | ((uint64_t)SEL_KERNEL_CODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, SYSCALL_FMASK);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}
