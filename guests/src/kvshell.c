/*
 * kvshell: vmtree's built-in guest, an interactive key-value shell whose state lives in RAM and,
 * after `save`, on its virtio disk, so branches of a machine visibly diverge.
 *
 *   set KEY VALUE   get KEY   del KEY   list   sum   count   save   load   help   halt
 *
 * Console: the ns16550a UART at 0x10000000 for input, with its receive interrupt routed through
 * the PLIC (source 10, hart 0's S-mode context) and the shell waiting in wfi: a guest waiting for
 * a key lets the virtual clock idle. Output goes through the SBI console. Line editing: echo,
 * backspace/DEL, Ctrl-U (kill line), CR or LF ends a line.
 * Disk: virtio-blk through the runtime's polled virtio driver (lib/virtio.c).
 * Saved table layout (little-endian, from byte 0 of the disk): "KVS1" magic, u32 entry count, u32
 * checksum (FNV-1a over the entries), u32 reserved, then MAX_ENTRIES entries of KEY_MAX key bytes
 * and VALUE_MAX value bytes, NUL-padded; 16 sectors (8 KiB) in all.
 */
#include "guest.h"
#include "virtio.h"

#define UART 0x10000000UL
#define PLIC 0x0C000000UL
#define UART_IRQ 10
#define S_CONTEXT 1
#define SIE_SEIE (1UL << 9)

#define MAX_ENTRIES 64
#define KEY_MAX 32
#define VALUE_MAX 64
#define LINE_MAX 128
#define TABLE_SECTORS 16

struct entry {
    char key[KEY_MAX];
    char value[VALUE_MAX];
};

struct saved {
    char magic[4];
    u32 count;
    u32 checksum;
    u32 reserved;
    struct entry entries[MAX_ENTRIES];
};

static struct entry table[MAX_ENTRIES];
static u32 entries;

static inline u32 r32(u64 a) { return *(volatile u32 *)a; }
static inline void w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline u8 r8(u64 a) { return *(volatile u8 *)a; }
static inline void w8(u64 a, u8 v) { *(volatile u8 *)a = v; }

/* ---- small string helpers (no libc) ---------------------------------------------------------- */

static u64 length(const char *s)
{
    u64 n = 0;
    while (s[n])
        n++;
    return n;
}

static int same(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static void copy(char *dst, const char *src, u64 max)
{
    u64 i = 0;
    for (; i + 1 < max && src[i]; i++)
        dst[i] = src[i];
    for (; i < max; i++)
        dst[i] = 0;
}

static void fill(void *p, u8 v, u64 n)
{
    u8 *b = p;
    for (u64 i = 0; i < n; i++)
        b[i] = v;
}

/* Parses an optionally negative decimal integer; returns 1 when the whole string is one. */
static int integer(const char *s, i64 *out)
{
    int neg = *s == '-';
    if (neg)
        s++;
    if (!*s)
        return 0;
    i64 v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (*s - '0');
    }
    *out = neg ? -v : v;
    return 1;
}

/* ---- the virtio block device ------------------------------------------------------------------ */

static struct virtq blk __attribute__((aligned(16)));
static struct { u32 type, reserved; u64 sector; } request;
static volatile u8 request_status;
static int disk;

/* One request of `sectors` 512-byte sectors at `sector`; returns 1 when the device says OK. */
static int disk_io(int write, u64 sector, void *buf, u32 sectors)
{
    request.type = write ? 1 : 0;
    request.reserved = 0;
    request.sector = sector;
    request_status = 0xff;
    blk.desc[0] = (struct virtq_desc){(u64)&request, sizeof request, VIRTQ_DESC_NEXT, 1};
    blk.desc[1] = (struct virtq_desc){(u64)buf, sectors * 512,
                                      (u16)(VIRTQ_DESC_NEXT | (write ? 0 : VIRTQ_DESC_WRITE)), 2};
    blk.desc[2] = (struct virtq_desc){(u64)&request_status, 1, VIRTQ_DESC_WRITE, 0};
    virtio_submit(&blk);
    return request_status == 0;
}

/* ---- the table --------------------------------------------------------------------------------- */

static u32 checksum(const struct entry *e, u32 n)
{
    u32 h = 2166136261u;
    const u8 *b = (const u8 *)e;
    for (u64 i = 0; i < (u64)n * sizeof *e; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static struct saved image __attribute__((aligned(16)));

static int find(const char *key)
{
    for (u32 i = 0; i < entries; i++)
        if (same(table[i].key, key))
            return (int)i;
    return -1;
}

static void save(void)
{
    if (!disk) {
        printf("error: no disk attached\n");
        return;
    }
    fill(&image, 0, sizeof image);
    image.magic[0] = 'K';
    image.magic[1] = 'V';
    image.magic[2] = 'S';
    image.magic[3] = '1';
    image.count = entries;
    for (u32 i = 0; i < entries; i++)
        image.entries[i] = table[i];
    image.checksum = checksum(image.entries, entries);
    if (disk_io(1, 0, &image, TABLE_SECTORS))
        printf("saved %u keys to disk\n", entries);
    else
        printf("error: the disk refused the write\n");
}

/* Loads the saved table; quiet: say nothing when there is none. Returns keys loaded or -1. */
static int load(int quiet)
{
    if (!disk) {
        if (!quiet)
            printf("error: no disk attached\n");
        return -1;
    }
    if (!disk_io(0, 0, &image, TABLE_SECTORS)) {
        printf("error: the disk refused the read\n");
        return -1;
    }
    if (image.magic[0] != 'K' || image.magic[1] != 'V' || image.magic[2] != 'S' || image.magic[3] != '1'
        || image.count > MAX_ENTRIES || checksum(image.entries, image.count) != image.checksum) {
        if (!quiet)
            printf("error: no saved table on the disk\n");
        return -1;
    }
    entries = image.count;
    for (u32 i = 0; i < entries; i++) {
        table[i] = image.entries[i];
        table[i].key[KEY_MAX - 1] = 0;
        table[i].value[VALUE_MAX - 1] = 0;
    }
    return (int)entries;
}

static void sort(void)
{
    for (u32 i = 1; i < entries; i++)
        for (u32 j = i; j > 0; j--) {
            const char *a = table[j - 1].key, *b = table[j].key;
            while (*a && *a == *b) {
                a++;
                b++;
            }
            if ((u8)*a <= (u8)*b)
                break;
            struct entry t = table[j - 1];
            table[j - 1] = table[j];
            table[j] = t;
        }
}

/* ---- the console -------------------------------------------------------------------------------- */

static void console_init(void)
{
    w32(PLIC + 4 * UART_IRQ, 1);
    w32(PLIC + 0x2000 + 0x80 * S_CONTEXT, 1U << UART_IRQ);
    w32(PLIC + 0x200000 + 0x1000 * S_CONTEXT, 0);
    w8(UART + 1, 1);                    /* IER: receive data available */
    csr_set(sie, SIE_SEIE);
}

/* Waits (in wfi, interrupts taken by claim/complete without a trap) for one byte. */
static u8 getc(void)
{
    while (!(r8(UART + 5) & 1)) {
        __asm__ volatile("wfi");
        u32 claim = r32(PLIC + 0x200004 + 0x1000 * S_CONTEXT);
        if (claim)
            w32(PLIC + 0x200004 + 0x1000 * S_CONTEXT, claim);
    }
    return r8(UART);
}

static int after_cr;

static u64 read_line(char *line)
{
    u64 n = 0;
    for (;;) {
        u8 c = getc();
        int lf_of_crlf = c == '\n' && after_cr;
        after_cr = c == '\r';
        if (lf_of_crlf)
            continue;
        if (c == '\r' || c == '\n') {
            putchar_sbi('\n');
            line[n] = 0;
            return n;
        }
        if (c == 0x7f || c == 0x08) {
            if (n > 0) {
                n--;
                puts_sbi("\b \b");
            }
        } else if (c == 0x15) {             /* Ctrl-U */
            while (n > 0) {
                n--;
                puts_sbi("\b \b");
            }
        } else if (c >= 0x20 && c < 0x7f && n + 1 < LINE_MAX) {
            line[n++] = (char)c;
            putchar_sbi(c);
        }
    }
}

/* Splits off the next space-separated word (the rest of the line for the last one). */
static char *word(char **s, int rest)
{
    while (**s == ' ')
        (*s)++;
    char *w = *s;
    if (rest) {
        *s += length(*s);
        u64 n = length(w);
        while (n > 0 && w[n - 1] == ' ')
            w[--n] = 0;
        return w;
    }
    while (**s && **s != ' ')
        (*s)++;
    if (**s)
        *(*s)++ = 0;
    return w;
}

static void help(void)
{
    printf("commands: set KEY VALUE | get KEY | del KEY | list | sum | count | save | load | help | halt\n");
}

static void command(char *line)
{
    char *rest = line;
    char *verb = word(&rest, 0);
    if (!*verb)
        return;
    if (same(verb, "set")) {
        char *key = word(&rest, 0);
        char *value = word(&rest, 1);
        if (!*key || !*value) {
            printf("error: usage: set KEY VALUE\n");
            return;
        }
        if (length(key) >= KEY_MAX || length(value) >= VALUE_MAX) {
            printf("error: keys have at most %u characters, values %u\n", KEY_MAX - 1, VALUE_MAX - 1);
            return;
        }
        int i = find(key);
        if (i < 0) {
            if (entries == MAX_ENTRIES) {
                printf("error: the table is full (%u keys)\n", MAX_ENTRIES);
                return;
            }
            i = (int)entries++;
            copy(table[i].key, key, KEY_MAX);
        }
        copy(table[i].value, value, VALUE_MAX);
        printf("ok\n");
    } else if (same(verb, "get") || same(verb, "del")) {
        char *key = word(&rest, 0);
        int i = *key ? find(key) : -1;
        if (!*key) {
            printf("error: usage: %s KEY\n", verb);
        } else if (i < 0) {
            printf("error: no key '%s'\n", key);
        } else if (same(verb, "get")) {
            printf("%s\n", table[i].value);
        } else {
            table[i] = table[--entries];
            fill(&table[entries], 0, sizeof table[entries]);
            printf("deleted %s\n", key);
        }
    } else if (same(verb, "list")) {
        sort();
        for (u32 i = 0; i < entries; i++)
            printf("%s = %s\n", table[i].key, table[i].value);
        printf("(%u keys)\n", entries);
    } else if (same(verb, "sum")) {
        i64 total = 0, v;
        u32 counted = 0;
        for (u32 i = 0; i < entries; i++)
            if (integer(table[i].value, &v)) {
                total += v;
                counted++;
            }
        printf("sum %ld over %u numeric values\n", total, counted);
    } else if (same(verb, "count")) {
        printf("%u keys\n", entries);
    } else if (same(verb, "save")) {
        save();
    } else if (same(verb, "load")) {
        int n = load(0);
        if (n >= 0)
            printf("loaded %u keys from disk\n", (u32)n);
    } else if (same(verb, "help")) {
        help();
    } else if (same(verb, "halt")) {
        printf("bye\n");
        sbi_shutdown(0);
    } else {
        printf("error: unknown command '%s' (try help)\n", verb);
    }
}

int main(void)
{
    printf("kvshell 1: a key-value shell on vmtree (help lists the commands)\n");
    disk = virtio_open(&blk, 2);
    if (disk) {
        int n = load(1);
        if (n >= 0)
            printf("loaded %u keys from disk\n", (u32)n);
    } else {
        printf("no disk: save and load are unavailable\n");
    }
    console_init();
    char line[LINE_MAX];
    for (;;) {
        puts_sbi("kv> ");
        read_line(line);
        command(line);
    }
}
