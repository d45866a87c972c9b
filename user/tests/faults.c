/*
 * faults: a process that faults dies of the right signal, and its parent
 * sees that signal in wait4. Each case runs the faulting code in a child
 * (ut_expect_signal): null and unmapped accesses, writes to read-only
 * memory, execution of data, ud2, division by zero, non-canonical and
 * kernel addresses, privileged and I/O instructions, misaligned SSE
 * accesses, int3, a stack overflow, and a fault in one thread of many.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int zero = 0;
static volatile char *volatile target;

static void null_read(void)
{
	target = NULL;
	(void)*target;
}

static void null_write(void)
{
	target = NULL;
	*target = 1;
}

static void unmapped_write(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	munmap(p, 4096);
	target = p;
	*target = 1;
}

static void write_read_only_data(void)
{
	static const char text[] = "constant";

	target = (volatile char *)text;
	*target = 'C';
}

static void write_code(void)
{
	target = (volatile char *)(uintptr_t)write_code;
	*target = 0xc3;
}

static void write_read_only_mapping(void)
{
	target = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*target = 1;
}

static void execute_data(void)
{
	static unsigned char code[] = { 0xc3 }; /* ret, in .data (not executable) */

	((void (*)(void))(uintptr_t)code)();
}

static void undefined_instruction(void)
{
	__asm__ volatile("ud2");
}

static void divide_by_zero(void)
{
	long a = 1, b = zero; /* (a C division by 1/x gets optimized away) */

	__asm__ volatile("cqo; idivq %1" : "+a"(a) : "r"(b) : "rdx", "cc");
}

static void divide_overflow(void)
{
	/* INT_MIN / -1 does not fit: #DE as well. */
	long a = INT64_MIN, b = -1 + zero;

	__asm__ volatile("cqo; idivq %1" : "+a"(a) : "r"(b) : "rdx", "cc");
}

static void non_canonical_read(void)
{
	target = (volatile char *)0x8000000000000000UL;
	(void)*target; /* #GP, not a page fault: SIGSEGV all the same */
}

static void kernel_address_read(void)
{
	target = (volatile char *)0xffffffff80000000UL;
	(void)*target;
}

static void kernel_address_write(void)
{
	target = (volatile char *)0xffff800000000000UL;
	*target = 1;
}

static void privileged_hlt(void)
{
	__asm__ volatile("hlt");
}

static void privileged_cli(void)
{
	__asm__ volatile("cli");
}

static void port_io(void)
{
	__asm__ volatile("outb %%al, $0x80" : : "a"(0));
}

static void read_cr3(void)
{
	unsigned long cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
}

static void misaligned_sse(void)
{
	static char buf[64] __attribute__((aligned(16)));

	__asm__ volatile("movaps (%0), %%xmm0" : : "r"(buf + 1) : "xmm0");
}

static void breakpoint(void)
{
	__asm__ volatile("int3");
}

static int deep(int n)
{
	volatile char frame[1024];

	frame[0] = (char)n;
	if (zero == 1) /* never: only keeps the compiler from calling it infinite */
		return 0;
	return deep(n + 1) + frame[0];
}

static void stack_overflow(void)
{
	deep(0);
}

static void jump_to_null(void)
{
	((void (*)(void))(uintptr_t)zero)();
}

static void *fault_soon(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++)
		sched_yield();
	null_write();
	return NULL;
}

static void *sleep_forever(void *arg)
{
	static volatile int never;

	(void)arg;
	for (;;)
		syscall(SYS_futex, &never, 128 /* FUTEX_WAIT_PRIVATE */, 0, NULL);
	return NULL;
}

static void fault_in_one_thread(void)
{
	pthread_t t;

	for (int i = 0; i < 3; i++)
		pthread_create(&t, NULL, sleep_forever, NULL);
	pthread_create(&t, NULL, fault_soon, NULL);
	sleep_forever(NULL);
}

UT_CASE(null_pointer_read)
{
	ut_expect_signal(null_read, SIGSEGV);
}

UT_CASE(null_pointer_write)
{
	ut_expect_signal(null_write, SIGSEGV);
}

UT_CASE(unmapped_page_write)
{
	ut_expect_signal(unmapped_write, SIGSEGV);
}

UT_CASE(read_only_data_write)
{
	ut_expect_signal(write_read_only_data, SIGSEGV);
}

UT_CASE(code_write)
{
	ut_expect_signal(write_code, SIGSEGV);
}

UT_CASE(read_only_mapping_write)
{
	ut_expect_signal(write_read_only_mapping, SIGSEGV);
}

UT_CASE(data_is_not_executable)
{
	ut_expect_signal(execute_data, SIGSEGV);
}

UT_CASE(jump_to_null)
{
	ut_expect_signal(jump_to_null, SIGSEGV);
}

UT_CASE(ud2_is_sigill)
{
	ut_expect_signal(undefined_instruction, SIGILL);
}

UT_CASE(divide_by_zero_is_sigfpe)
{
	ut_expect_signal(divide_by_zero, SIGFPE);
}

UT_CASE(divide_overflow_is_sigfpe)
{
	ut_expect_signal(divide_overflow, SIGFPE);
}

UT_CASE(non_canonical_address_is_sigsegv)
{
	ut_expect_signal(non_canonical_read, SIGSEGV);
}

UT_CASE(kernel_addresses_are_sigsegv)
{
	ut_expect_signal(kernel_address_read, SIGSEGV);
	ut_expect_signal(kernel_address_write, SIGSEGV);
}

UT_CASE(privileged_instructions_are_sigsegv)
{
	ut_expect_signal(privileged_hlt, SIGSEGV);
	ut_expect_signal(privileged_cli, SIGSEGV);
	ut_expect_signal(read_cr3, SIGSEGV);
}

UT_CASE(port_io_is_sigsegv)
{
	ut_expect_signal(port_io, SIGSEGV);
}

UT_CASE(misaligned_sse_is_sigsegv)
{
	ut_expect_signal(misaligned_sse, SIGSEGV);
}

UT_CASE(int3_is_sigtrap)
{
	ut_expect_signal(breakpoint, SIGTRAP);
}

UT_CASE(stack_overflow_is_sigsegv)
{
	ut_expect_signal(stack_overflow, SIGSEGV);
}

UT_CASE(fault_in_a_thread_kills_the_process)
{
	ut_expect_signal(fault_in_one_thread, SIGSEGV);
}

UT_CASE(parent_goes_on)
{
	/* After all those deaths, fork and wait still work. */
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(42);
	UT_EQ(ut_wait(pid), 42);
}
