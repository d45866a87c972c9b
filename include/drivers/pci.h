/*
 * PCI (drivers/pci.c): enumeration of every function on buses 0..255
 * through the legacy configuration ports 0xCF8/0xCFC, BAR decoding
 * (I/O, 32- and 64-bit memory), the capability list, and MSI-X. The
 * firmware (SeaBIOS under QEMU) has assigned the BARs already; nothing
 * here moves them. kmain calls pci_init once interrupts are up; drivers
 * (drivers/virtio_pci.c) then look devices up with pci_find, map BARs
 * with pci_map_bar and route MSI-X entries to handlers with
 * pci_msix_route.
 *
 * The device list is built once at boot and never changes: a struct
 * pci_dev is constant after pci_init except its mapped BARs and MSI-X
 * state, which belong to the driver that claimed it.
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <lib/types.h>
#include <lib/list.h>
#include <arch/x86_64/trap.h>

#define PCI_VENDOR_ID	  0x00
#define PCI_DEVICE_ID	  0x02
#define PCI_COMMAND	  0x04
#define PCI_STATUS	  0x06
#define PCI_CLASS_REV	  0x08
#define PCI_HEADER_TYPE	  0x0e
#define PCI_BAR0	  0x10
#define PCI_CAP_PTR	  0x34
#define PCI_CMD_IO	  (1u << 0)
#define PCI_CMD_MEMORY	  (1u << 1)
#define PCI_CMD_MASTER	  (1u << 2)
#define PCI_CMD_INTX_OFF  (1u << 10)
#define PCI_STATUS_CAPS	  (1u << 4)
#define PCI_CAP_ID_MSIX	  0x11
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_NUM_BARS	  6

struct pci_bar {
	uint64_t base; /* bus address (= physical): 0 when not implemented */
	uint64_t size;
	bool io;   /* an I/O port range, not memory */
	bool is64; /* the upper half is the next BAR */
	bool prefetch;
	void *virt; /* set by pci_map_bar */
};

/*
 * One function. Lock key: (c) constant after pci_init, (d) the driver
 * that claimed it (one thread at a time, at probe or in its service).
 */
struct pci_dev {
	uint8_t bus, dev, fn;		       /* (c) */
	uint16_t vendor, device;	       /* (c) */
	uint8_t class_code, subclass, prog_if; /* (c) */
	uint8_t header_type;		       /* (c) 0 for endpoints */
	struct pci_bar bars[PCI_NUM_BARS];     /* (c) but virt (d) */
	volatile uint32_t *msix_table;	       /* (d) mapped MSI-X table, or NULL */
	unsigned msix_size;		       /* (d) its entries */
	bool claimed;			       /* (d) a driver took it */
	struct list_head node;		       /* (c) on the device list */
};

/* Enumerates every bus and logs what it found (kmain, once). */
void pci_init(void);
/* The next device after from (NULL: the first) with vendor and device (0xffff: any). */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, struct pci_dev *from);
unsigned pci_count(void);

/* Configuration space of d; off must be aligned to the access size. */
uint32_t pci_read32(const struct pci_dev *d, unsigned off);
uint16_t pci_read16(const struct pci_dev *d, unsigned off);
uint8_t pci_read8(const struct pci_dev *d, unsigned off);
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v);
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v);

/* Sets bits in the command register (memory decode, bus master...). */
void pci_enable(struct pci_dev *d, uint16_t bits);
/*
 * The offset of the next capability with id after the one at start
 * (0: from the first), or 0 when there is none. A looping or broken list
 * ends the walk.
 */
unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned start);
/* Maps memory BAR i uncached (once; later calls return the same); NULL if no such BAR. */
void *pci_map_bar(struct pci_dev *d, unsigned i);

/*
 * MSI-X: maps the table, masks every entry, enables MSI-X and turns the
 * legacy INTx line off. Returns the number of entries, or -ENODEV (no
 * MSI-X capability) / -EINVAL (the table is not inside a memory BAR).
 */
int pci_msix_enable(struct pci_dev *d);
/*
 * Points entry at a fresh interrupt vector on the boot CPU whose handler
 * is fn(frame, ctx), and unmasks it. Returns the vector or -errno
 * (-ENOSPC: no vector left, -EINVAL: no such entry).
 */
int pci_msix_route(struct pci_dev *d, unsigned entry, irq_handler_t fn, void *ctx);
/* A device-interrupt vector nobody uses, or -ENOSPC. */
int irq_alloc_vector(void);

#endif
