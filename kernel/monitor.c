/*
 * The kernel monitor (include/kernel/monitor.h): reads lines from the
 * console with echo and simple editing (backspace, ^U), and runs a few
 * commands that show the state of the kernel. It runs as a kernel thread
 * blocked in uart_getc between keys.
 */
#include <kernel/monitor.h>
#include <kernel/panic.h>
#include <kernel/power.h>
#include <kernel/printk.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <drivers/uart.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <arch/x86_64/percpu.h>

#define LINE_LEN 128
#define MAX_ARGS 8

struct command {
	const char *name, *help;
	void (*run)(int argc, char **argv);
};

static void read_line(char *buf, size_t size)
{
	size_t n = 0;
	int c, last = 0;

	for (;;) {
		c = uart_getc();
		if (c == '\n' && last == '\r') {
			last = 0;
			continue;
		}
		last = c;
		if (c == '\r' || c == '\n') {
			kprintf("\n");
			buf[n] = '\0';
			return;
		}
		if ((c == 0x7f || c == 0x08) && n > 0) {
			n--;
			kprintf("\b \b");
		} else if (c == 0x15) { /* ^U: kill the line */
			for (; n > 0; n--)
				kprintf("\b \b");
		} else if (c >= 0x20 && c < 0x7f && n + 1 < size) {
			buf[n++] = c;
			kprintf("%c", c);
		}
	}
}

static int split(char *line, char **argv)
{
	int argc = 0;

	for (char *p = line; *p && argc < MAX_ARGS;) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	return argc;
}

static void cmd_help(int argc, char **argv);

static void cmd_mem(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print_memory_map();
}

static void print_thread(struct thread *t, void *ctx)
{
	(void)ctx;
	kprintf("  %4d %-16s %-9s %8lu\n", t->tid, t->name, thread_state_name(t->state),
		(unsigned long)t->run_ticks);
}

static void cmd_threads(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("   tid name             state        ticks\n");
	threads_for_each(print_thread, NULL);
}

static void cmd_uptime(int argc, char **argv)
{
	uint64_t ns = clock_ns();
	struct percpu *cpu = this_cpu();

	(void)argc;
	(void)argv;
	kprintf("up %lu.%03lu s, %lu timer ticks (%lu idle)\n", (unsigned long)(ns / NSEC_PER_SEC),
		(unsigned long)(ns / NSEC_PER_MSEC % 1000), (unsigned long)cpu->ticks,
		(unsigned long)cpu->idle_ticks);
}

static void fault_victim(void *arg)
{
	(void)arg;
	*(volatile uint64_t *)0xdead000 = 1;
}

static void cmd_fault(int argc, char **argv)
{
	struct thread *t = kthread_create("fault-demo", fault_victim, NULL);

	(void)argc;
	(void)argv;
	if (t)
		kprintf("fault-demo exited with %d\n", kthread_join(t));
}

/*
 * Writes all of a page after freeing it, as a device's late DMA would,
 * then allocates again: this CPU's page cache hands the same page back
 * (last freed, first out), and a debug build's poison check panics.
 */
static void cmd_scribble(int argc, char **argv)
{
	struct page *p = alloc_page(), *again;
	void *va;

	(void)argc;
	(void)argv;
	if (!p) {
		kprintf("scribble: no memory\n");
		return;
	}
	va = page_address(p);
	put_page(p);
	memset(va, 0x42, PAGE_SIZE);
	again = alloc_page();
	kprintf("scribble: %s\n",
		again == p ? "the page came back unnoticed" : "another page came");
	if (again)
		put_page(again);
}

static void cmd_panic(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	panic("requested from the monitor");
}

static void cmd_poweroff(int argc, char **argv)
{
	uint64_t status = 0;

	if (argc > 1 && parse_u64(argv[1], 0, &status)) {
		kprintf("poweroff: bad status '%s'\n", argv[1]);
		return;
	}
	machine_poweroff((int)status);
}

static const struct command commands[] = {
	{ "help", "list the commands", cmd_help },
	{ "mem", "memory map and free memory", cmd_mem },
	{ "threads", "kernel threads", cmd_threads },
	{ "uptime", "time since boot and timer ticks", cmd_uptime },
	{ "fault", "run a kernel thread that faults (it is killed, the kernel goes on)",
	  cmd_fault },
	{ "panic", "panic on purpose (to see the report)", cmd_panic },
	{ "scribble", "write a freed page whole, then allocate (debug builds panic)",
	  cmd_scribble },
	{ "poweroff", "[status] stop the machine", cmd_poweroff },
};

static void cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		kprintf("  %-9s %s\n", commands[i].name, commands[i].help);
}

static void run_command(char *line)
{
	char *argv[MAX_ARGS];
	int argc = split(line, argv);

	if (!argc)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(argv[0], commands[i].name)) {
			commands[i].run(argc, argv);
			return;
		}
	}
	kprintf("%s: unknown command (try 'help')\n", argv[0]);
}

void monitor_main(void *unused)
{
	char line[LINE_LEN];

	(void)unused;
	kprintf("Kernel monitor (programs run with ./axl run -- CMD). Type 'help'.\n");
	for (;;) {
		kprintf("axl> ");
		read_line(line, sizeof(line));
		run_command(line);
	}
}
