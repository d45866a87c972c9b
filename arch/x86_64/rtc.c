/*
 * The CMOS real-time clock, read once at boot (include/kernel/clock.h):
 * wait for no update in progress, read the date twice until two reads
 * agree, convert BCD and 12-hour forms, then compute the epoch seconds.
 */
#include <kernel/clock.h>
#include <arch/x86_64/cpu.h>

#define CMOS_ADDR 0x70
#define CMOS_DATA 0x71

struct rtc_time {
	unsigned sec, min, hour, day, mon, year, century;
};

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_ADDR, reg);
	return inb(CMOS_DATA);
}

static void read_raw(struct rtc_time *t)
{
	for (int spins = 0; (cmos_read(0x0a) & 0x80) && spins < 1000000; spins++)
		cpu_relax();
	t->sec = cmos_read(0x00);
	t->min = cmos_read(0x02);
	t->hour = cmos_read(0x04);
	t->day = cmos_read(0x07);
	t->mon = cmos_read(0x08);
	t->year = cmos_read(0x09);
	t->century = cmos_read(0x32);
}

static unsigned bcd(unsigned v)
{
	return (v & 0x0f) + (v >> 4) * 10;
}

static bool same(const struct rtc_time *a, const struct rtc_time *b)
{
	return a->sec == b->sec && a->min == b->min && a->hour == b->hour && a->day == b->day &&
	       a->mon == b->mon && a->year == b->year;
}

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
static uint64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
	unsigned era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)era * 146097 + doe - 719468;
}

uint64_t rtc_read_epoch(void)
{
	struct rtc_time a, b;
	uint8_t status_b;
	bool pm;

	read_raw(&b);
	do {
		a = b;
		read_raw(&b);
	} while (!same(&a, &b));
	status_b = cmos_read(0x0b);
	pm = a.hour & 0x80;
	a.hour &= 0x7f;
	if (!(status_b & 0x04)) {
		a.sec = bcd(a.sec), a.min = bcd(a.min), a.hour = bcd(a.hour);
		a.day = bcd(a.day), a.mon = bcd(a.mon), a.year = bcd(a.year);
		a.century = bcd(a.century);
	}
	if (!(status_b & 0x02) && pm)
		a.hour = (a.hour % 12) + 12;
	a.year += (a.century >= 19 && a.century <= 30 ? a.century : 20) * 100;
	if (a.mon < 1 || a.mon > 12 || a.day < 1 || a.day > 31)
		return 0;
	return days_from_civil(a.year, a.mon, a.day) * 86400 + a.hour * 3600 + a.min * 60 + a.sec;
}
