/*
 * The lock-order checker (include/kernel/lockcheck.h), called by the
 * spinlock code (kernel/spinlock.c) on every acquisition and release, by
 * the user-memory accessors (arch/x86_64/uaccess.c) and by the scheduler
 * when a CPU leaves a thread (kernel/sched.c).
 *
 * Each CPU keeps the stack of the spinlocks it holds, with the return
 * address that took each (cpus[], indexed by CPU id and touched by that CPU
 * only, with interrupts off). A lock's class is found once from its name
 * and cached in the lock (spinlock_t.lc_class). Taking a lock of class B
 * while holding one of class A is an order edge A -> B; an edge not seen
 * before is checked against the graph: if B already reaches A, the new
 * edge would close a cycle, and that inversion is reported with the path
 * learned before and the sites of each of its edges; otherwise the edge is
 * learned. Known edges are a bit test, without any lock.
 *
 * The graph, the class table and the report table are written under
 * graph_lock, a bare flag that the checker does not track (it is taken
 * with interrupts off, and never around anything that takes a spinlock).
 * The tables are fixed in size (nothing is allocated here): when one fills
 * up, what does not fit is not tracked, and the checker says so once.
 * Reports are printed after graph_lock is dropped; the locks that printing
 * takes (the log lock) are tracked like any other.
 */
#include <kernel/lockcheck.h>
#include <kernel/ksyms.h>
#include <kernel/power.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <lib/printf.h>
#include <lib/string.h>

#if CONFIG_LOCKCHECK

#define LC_MAX_CLASSES 512  /* class ids 1 .. LC_MAX_CLASSES - 1; 0 is "not tracked" */
#define LC_CLASS_SLOTS 1024 /* hash index of the classes (a power of two) */
#define LC_EDGE_SLOTS  4096 /* the sites of each edge (a power of two) */
#define LC_MAX_DEPTH   24   /* spinlocks one CPU holds at once */
#define LC_NAME_MAX    32
#define LC_REPORTS     128    /* reports remembered, so that each is made once */
#define LC_PATH_MAX    8      /* edges of an inversion's path that are printed */
#define LC_UNTRACKED   0xffff /* spinlock_t.lc_class when the class table is full */
#define LC_SUBCLASSES  8      /* subclasses whose class ids are cached */

struct lc_class {
	char name[LC_NAME_MAX];
	unsigned subclass;
};

struct lc_edge {
	uint16_t from, to; /* from == 0: a free slot */
	uintptr_t from_site, to_site;
};

struct lc_held {
	const spinlock_t *lock;
	uint16_t cls;
	uintptr_t site;
};

struct lc_cpu {
	int depth;
	int untracked; /* acquisitions beyond LC_MAX_DEPTH or made inside the checker */
	bool busy;     /* in the checker (an NMI that takes a lock is not tracked) */
	struct lc_held held[LC_MAX_DEPTH];
};

struct lc_report {
	uint8_t kind;
	bool taken; /* taken back by a self-test */
	uint16_t a, b;
	uintptr_t site;
};

/* What one report prints; filled under graph_lock, printed after it. */
struct lc_msg {
	enum lockcheck_kind kind;
	uint16_t a, b; /* held class; taken class (inversion, recursion) */
	uintptr_t a_site, b_site;
	int path_len; /* inversion: the edges from b to a learned before */
	struct lc_edge path[LC_PATH_MAX];
};

static volatile uint32_t graph_lock;
static struct lc_class classes[LC_MAX_CLASSES]; /* (graph_lock) ids 1 .. nr_classes - 1 */
static uint16_t class_slots[LC_CLASS_SLOTS];	/* (graph_lock) name hash -> class id */
static unsigned nr_classes = 1;			/* (graph_lock) */
/* (graph_lock) to write; read without it: bits are only ever set */
static uint64_t adj[LC_MAX_CLASSES][LC_MAX_CLASSES / 64];
static struct lc_edge edge_sites[LC_EDGE_SLOTS]; /* (graph_lock) */
static unsigned nr_edges;			 /* (graph_lock) */
static struct lc_report reported[LC_REPORTS];	 /* (graph_lock) */
static unsigned nr_reported;			 /* (graph_lock) entries of reported[] */
static unsigned nr_reports, nr_expected;	 /* (graph_lock) */
static const char *full_what;			 /* (graph_lock) the first table that filled up */
static bool full_said;				 /* (graph_lock) */
/* A class's subclasses' ids; 0: not looked up yet. Written once each, read without a lock. */
static uint16_t subclass_ids[LC_MAX_CLASSES][LC_SUBCLASSES];
static uint16_t bfs_parent[LC_MAX_CLASSES]; /* (graph_lock) */
static uint16_t bfs_queue[LC_MAX_CLASSES];  /* (graph_lock) */
static struct lc_cpu cpus[MAX_CPUS];	    /* [cpu id] that CPU's own, interrupts off */

static void graph_take(void)
{
	while (__atomic_exchange_n(&graph_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&graph_lock, __ATOMIC_RELAXED))
			cpu_relax();
}

static void graph_drop(void)
{
	__atomic_store_n(&graph_lock, 0, __ATOMIC_RELEASE);
}

static struct lc_cpu *this_lc(void)
{
	return &cpus[this_cpu()->cpu_id];
}

/* Records the first table that filled up (say_full() tells, once). */
static void note_full(const char *what)
{
	if (!full_what)
		full_what = what;
}

/* ---- Classes and edges (graph_lock held) --------------------------------- */

static unsigned name_hash(const char *name, unsigned subclass)
{
	uint32_t h = 2166136261u ^ subclass;

	for (const char *p = name; *p && p - name < LC_NAME_MAX - 1; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static bool class_is(uint16_t id, const char *name, unsigned subclass)
{
	return classes[id].subclass == subclass &&
	       !strncmp(classes[id].name, name, LC_NAME_MAX - 1);
}

static uint16_t class_find_or_add(const char *name, unsigned subclass)
{
	unsigned slot = name_hash(name, subclass) & (LC_CLASS_SLOTS - 1);
	uint16_t id;

	for (; (id = class_slots[slot]); slot = (slot + 1) & (LC_CLASS_SLOTS - 1))
		if (class_is(id, name, subclass))
			return id;
	if (nr_classes == LC_MAX_CLASSES) {
		note_full("lock classes");
		return 0;
	}
	id = (uint16_t)nr_classes++;
	strlcpy(classes[id].name, name, LC_NAME_MAX);
	classes[id].subclass = subclass;
	class_slots[slot] = id;
	return id;
}

static bool edge_known(uint16_t from, uint16_t to)
{
	return __atomic_load_n(&adj[from][to / 64], __ATOMIC_RELAXED) & (1ull << (to % 64));
}

static struct lc_edge *edge_slot(uint16_t from, uint16_t to)
{
	unsigned slot = ((unsigned)from * 2654435761u ^ to) & (LC_EDGE_SLOTS - 1);

	for (unsigned n = 0; n < LC_EDGE_SLOTS; n++, slot = (slot + 1) & (LC_EDGE_SLOTS - 1)) {
		struct lc_edge *e = &edge_sites[slot];

		if (!e->from || (e->from == from && e->to == to))
			return e;
	}
	return NULL;
}

static void edge_add(uint16_t from, uintptr_t from_site, uint16_t to, uintptr_t to_site)
{
	struct lc_edge *e = edge_slot(from, to);

	if (e && !e->from)
		*e = (struct lc_edge){ from, to, from_site, to_site };
	else if (!e)
		note_full("edge sites");
	__atomic_fetch_or(&adj[from][to / 64], 1ull << (to % 64), __ATOMIC_RELEASE);
	nr_edges++;
}

/* Whether src reaches dst in the graph (breadth first; bfs_parent keeps the way back). */
static bool reaches(uint16_t src, uint16_t dst)
{
	uint64_t seen[LC_MAX_CLASSES / 64] = { 0 };
	unsigned head = 0, tail = 0;

	bfs_queue[tail++] = src;
	seen[src / 64] |= 1ull << (src % 64);
	while (head < tail) {
		uint16_t c = bfs_queue[head++];

		if (c == dst)
			return true;
		for (unsigned w = 0; w < LC_MAX_CLASSES / 64; w++) {
			uint64_t bits = __atomic_load_n(&adj[c][w], __ATOMIC_RELAXED) & ~seen[w];

			seen[w] |= bits;
			while (bits) {
				uint16_t n = (uint16_t)(w * 64 + __builtin_ctzll(bits));

				bits &= bits - 1;
				bfs_parent[n] = c;
				bfs_queue[tail++] = n;
			}
		}
	}
	return false;
}

/* The path src -> ... -> dst that reaches() found, into m (at most LC_PATH_MAX edges). */
static void fill_path(struct lc_msg *m, uint16_t src, uint16_t dst)
{
	uint16_t hops[LC_MAX_CLASSES];
	int n = 0;

	for (uint16_t c = dst; c != src && n < LC_MAX_CLASSES; c = bfs_parent[c])
		hops[n++] = c;
	m->path_len = 0;
	for (uint16_t from = src; n > 0 && m->path_len < LC_PATH_MAX;) {
		uint16_t to = hops[--n];
		struct lc_edge *e = edge_slot(from, to);

		m->path[m->path_len++] = e && e->from ? *e : (struct lc_edge){ from, to, 0, 0 };
		from = to;
	}
}

/* Remembers a report; false if the same one was made before (or no room is left to tell). */
static bool report_new(enum lockcheck_kind kind, uint16_t a, uint16_t b, uintptr_t site)
{
	for (unsigned i = 0; i < nr_reported; i++) {
		struct lc_report *r = &reported[i];

		if (r->kind == kind && r->a == a && r->b == b && r->site == site)
			return false;
	}
	nr_reports++;
	if (nr_reported == LC_REPORTS) {
		note_full("reports");
		return false;
	}
	reported[nr_reported++] = (struct lc_report){ (uint8_t)kind, false, a, b, site };
	return true;
}

/* ---- Printing (graph_lock not held) -------------------------------------- */

static void class_label(uint16_t id, char *buf, size_t size)
{
	if (!id || id >= LC_MAX_CLASSES)
		snprintf(buf, size, "?");
	else if (classes[id].subclass)
		snprintf(buf, size, "%s/%u", classes[id].name, classes[id].subclass);
	else
		snprintf(buf, size, "%s", classes[id].name);
}

static void site_label(uintptr_t site, char *buf, size_t size)
{
	if (site)
		ksym_format(site - 1, buf, size); /* the call, not the return address */
	else
		snprintf(buf, size, "(site not kept)");
}

/* The two classes (a, b) and their sites (as, bs) of an edge or a report, printable. */
struct lc_labels {
	char a[40], b[40], as[96], bs[96];
};

static void labels_of(struct lc_labels *l, uint16_t a, uint16_t b, uintptr_t a_site,
		      uintptr_t b_site)
{
	class_label(a, l->a, sizeof(l->a));
	class_label(b, l->b, sizeof(l->b));
	site_label(a_site, l->as, sizeof(l->as));
	site_label(b_site, l->bs, sizeof(l->bs));
}

static void print_inversion(const struct lc_msg *m, const struct lc_labels *l)
{
	struct lc_labels p;

	pr_err("lockcheck: lock order inversion: '%s' taken at %s while holding '%s' "
	       "(taken at %s)\n",
	       l->b, l->bs, l->a, l->as);
	for (int i = 0; i < m->path_len; i++) {
		const struct lc_edge *e = &m->path[i];

		labels_of(&p, e->from, e->to, e->from_site, e->to_site);
		pr_err("lockcheck:   but the order '%s' (taken at %s) then '%s' (taken at %s) "
		       "was seen before\n",
		       p.a, p.as, p.b, p.bs);
	}
}

static void print_msg(const struct lc_msg *m)
{
	struct lc_labels l;

	labels_of(&l, m->a, m->b, m->a_site, m->b_site);
	if (m->kind == LC_INVERSION)
		print_inversion(m, &l);
	else if (m->kind == LC_RECURSION)
		pr_err("lockcheck: a second lock of class '%s' taken at %s while holding one "
		       "(taken at %s); a nested one needs spin_lock_irqsave_nested\n",
		       l.b, l.bs, l.as);
	else if (m->kind == LC_SWITCH)
		pr_err("lockcheck: switching away, sleeping or parking at %s with '%s' held "
		       "(taken at %s)\n",
		       l.bs, l.a, l.as);
	else
		pr_err("lockcheck: user memory touched at %s under the spinlock '%s' "
		       "(taken at %s)\n",
		       l.bs, l.a, l.as);
	backtrace_here();
	machine_debug_line("axl-lockcheck report\n");
}

/* Says once that a table filled up. */
static void say_full(void)
{
	const char *what = NULL;

	graph_take();
	if (full_what && !full_said) {
		full_said = true;
		what = full_what;
	}
	graph_drop();
	if (what)
		pr_warn("lockcheck note: the table of %s is full: what does not fit is not checked\n",
			what);
}

/* ---- The hooks ------------------------------------------------------------ */

static uint16_t class_lookup(spinlock_t *l, unsigned subclass)
{
	uint16_t id;

	graph_take();
	id = class_find_or_add(l->name ? l->name : "(unnamed)", subclass);
	graph_drop();
	return id;
}

/* l's class: cached in the lock (subclass 0) or in subclass_ids (the others), else looked up. */
static uint16_t class_of(spinlock_t *l, unsigned subclass)
{
	uint16_t base = __atomic_load_n(&l->lc_class, __ATOMIC_ACQUIRE), id;

	if (base >= LC_MAX_CLASSES && base != LC_UNTRACKED)
		return 0; /* not a lock's class (freed memory): lock_contended says so */
	if (!base) {
		base = class_lookup(l, 0);
		__atomic_store_n(&l->lc_class, base ? base : LC_UNTRACKED, __ATOMIC_RELEASE);
	}
	if (base == LC_UNTRACKED || !base)
		return 0;
	if (!subclass)
		return base;
	if (subclass >= LC_SUBCLASSES)
		return class_lookup(l, subclass);
	id = __atomic_load_n(&subclass_ids[base][subclass], __ATOMIC_ACQUIRE);
	if (!id) {
		id = class_lookup(l, subclass);
		__atomic_store_n(&subclass_ids[base][subclass], id, __ATOMIC_RELEASE);
	}
	return id;
}

/* A new edge held -> cls: learns it, or fills m with the inversion it would make. */
static bool learn(const struct lc_held *held, uint16_t cls, uintptr_t site, struct lc_msg *m)
{
	bool bad = false;

	graph_take();
	if (edge_known(held->cls, cls)) {
		/* another CPU learned it meanwhile */
	} else if (reaches(cls, held->cls)) {
		*m = (struct lc_msg){
			LC_INVERSION, held->cls, cls, held->site, site, 0, { { 0 } }
		};
		fill_path(m, cls, held->cls);
		bad = report_new(LC_INVERSION, held->cls, cls, 0);
	} else {
		edge_add(held->cls, held->site, cls, site);
	}
	graph_drop();
	return bad;
}

static bool check_against(const struct lc_held *h, uint16_t cls, uintptr_t site, struct lc_msg *m)
{
	bool bad = false;

	if (!h->cls || !cls)
		return false;
	if (h->cls == cls) {
		graph_take();
		/* once per site: each needs its own subclass */
		bad = report_new(LC_RECURSION, cls, cls, site);
		graph_drop();
		*m = (struct lc_msg){ LC_RECURSION, cls, cls, h->site, site, 0, { { 0 } } };
		return bad;
	}
	return !edge_known(h->cls, cls) && learn(h, cls, site, m);
}

void lockcheck_acquire(spinlock_t *l, unsigned subclass, uintptr_t site)
{
	struct lc_cpu *c = this_lc();
	struct lc_msg m;
	bool bad = false;
	uint16_t cls;

	if (c->busy || c->depth == LC_MAX_DEPTH) {
		c->untracked++;
		if (!c->busy) {
			graph_take();
			note_full("locks held by one CPU");
			graph_drop();
			say_full();
		}
		return;
	}
	c->busy = true;
	cls = class_of(l, subclass);
	for (int i = 0; i < c->depth && !bad; i++)
		bad = check_against(&c->held[i], cls, site, &m);
	c->held[c->depth++] = (struct lc_held){ l, cls, site };
	c->busy = false;
	if (bad)
		print_msg(&m);
	if (!cls)
		say_full();
}

void lockcheck_release(const spinlock_t *l)
{
	struct lc_cpu *c = this_lc();
	bool was_busy = c->busy;

	c->busy = true;
	for (int i = c->depth - 1; i >= 0; i--) {
		if (c->held[i].lock != l)
			continue;
		memmove(&c->held[i], &c->held[i + 1], (c->depth - i - 1) * sizeof(c->held[0]));
		c->depth--;
		c->busy = was_busy;
		return;
	}
	if (c->untracked > 0) /* taken beyond the table, or inside the checker */
		c->untracked--;
	c->busy = was_busy;
}

/* The first held lock other than allowed, reported once per (class, site). */
static void check_held(enum lockcheck_kind kind, const spinlock_t *allowed, uintptr_t site)
{
	unsigned long flags = irq_save();
	struct lc_cpu *c = this_lc();
	struct lc_msg m;
	bool bad = false;

	if (c->busy) {
		irq_restore(flags);
		return;
	}
	c->busy = true;
	for (int i = 0; i < c->depth && !bad; i++) {
		if (c->held[i].lock == allowed)
			continue;
		graph_take();
		bad = report_new(kind, c->held[i].cls, 0, site);
		graph_drop();
		m = (struct lc_msg){ kind, c->held[i].cls, 0, c->held[i].site, site, 0, { { 0 } } };
		break;
	}
	c->busy = false;
	if (bad)
		print_msg(&m);
	irq_restore(flags);
}

void lockcheck_user_access(uintptr_t site)
{
	check_held(LC_USER_ACCESS, NULL, site);
}

void lockcheck_may_switch(const spinlock_t *allowed, uintptr_t site)
{
	check_held(LC_SWITCH, allowed, site);
}

/* ---- Counts and self-tests -------------------------------------------------- */

void lockcheck_get_stats(struct lockcheck_stats *st)
{
	unsigned long flags = irq_save();

	graph_take();
	*st = (struct lockcheck_stats){ nr_classes - 1, nr_edges, nr_reports, nr_expected,
					full_what != NULL };
	graph_drop();
	irq_restore(flags);
}

static bool report_matches(const struct lc_report *r, enum lockcheck_kind kind, const char *a,
			   const char *b)
{
	return !r->taken && r->kind == kind && r->a && !strcmp(classes[r->a].name, a) &&
	       (!b || (r->b && !strcmp(classes[r->b].name, b)));
}

bool lockcheck_take_report(enum lockcheck_kind kind, const char *a, const char *b)
{
	unsigned long flags = irq_save();
	bool found = false;

	graph_take();
	for (unsigned i = nr_reported; i-- > 0 && !found;) {
		if (!report_matches(&reported[i], kind, a, b))
			continue;
		reported[i].taken = true;
		nr_reports--;
		nr_expected++;
		found = true;
	}
	graph_drop();
	irq_restore(flags);
	if (found) {
		pr_info("lockcheck note: the report above was expected by a self-test\n");
		machine_debug_line("axl-lockcheck expected\n");
	}
	return found;
}

/* The graph for the host, one "axl-lockcheck-edge FROM TO" line per edge (./axl keeps them). */
static void dump_edges(void)
{
	unsigned long flags = irq_save();
	char line[32 + 2 * 40], a[40], b[40];

	graph_take();
	for (unsigned i = 0; i < LC_EDGE_SLOTS; i++) {
		const struct lc_edge *e = &edge_sites[i];

		if (!e->from)
			continue;
		class_label(e->from, a, sizeof(a));
		class_label(e->to, b, sizeof(b));
		snprintf(line, sizeof(line), "axl-lockcheck-edge %s %s\n", a, b);
		machine_debug_line(line);
	}
	graph_drop();
	irq_restore(flags);
}

#else /* !CONFIG_LOCKCHECK */

static void dump_edges(void)
{
}

void lockcheck_get_stats(struct lockcheck_stats *st)
{
	*st = (struct lockcheck_stats){ 0 };
}

bool lockcheck_take_report(enum lockcheck_kind kind, const char *a, const char *b)
{
	(void)kind, (void)a, (void)b;
	return false;
}

#endif

void lockcheck_shutdown_report(void)
{
	struct lockcheck_stats st;
	char line[96];

	if (!CONFIG_LOCKCHECK)
		return;
	lockcheck_get_stats(&st);
	pr_info("lockcheck summary: %u lock classes, %u order edges learned, %u reports "
		"(%u more expected by self-tests)%s\n",
		st.classes, st.edges, st.reports, st.expected,
		st.full ? "; a table filled up" : "");
	snprintf(line, sizeof(line), "axl-lockcheck classes=%u edges=%u reports=%u\n", st.classes,
		 st.edges, st.reports);
	machine_debug_line(line);
	dump_edges();
}
