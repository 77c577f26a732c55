/* symbols.c - names for addresses: the symbol a global lock lives in, the function that first used
 * a heap lock, CPython's GIL, and the (dev, inode, offset) key of an object in shared memory.
 *
 * DESIGN: dladdr() sees only exported symbols, but a `static pthread_mutex_t counter_lock` in an
 * unstripped program lives in .symtab, so each module (executable and libraries, listed by
 * dl_iterate_phdr) is mapped read-only from its file and its section headers are parsed here:
 * .symtab when present, else .dynsym.  Functions and data objects are sorted by address once
 * per module (the cache is filled on demand, so a program that never declares a global lock
 * never reads an ELF file).  This runs at an object's first use only, under one spin lock.
 * CPython 3.11's GIL is a fixed offset inside the exported _PyRuntime (DESIGN.md section 5): the
 * offsets are used only when the module's exported Py_Version says 3.11.
 */
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wrap_common.h"

struct sym {
    uint64_t value, size; /* link-time value */
    uint32_t name;        /* offset in strtab */
    uint32_t is_func;
};

struct module {
    uint64_t base, lo, hi; /* load bias, and the runtime range of its PT_LOAD segments */
    char path[256];
    int loaded; /* 0: not yet, 1: symbols read (maybe none) */
    const char *strtab;
    size_t strtab_len;
    struct sym *syms;
    size_t nsyms, syms_cap; /* syms is an anonymous mapping of syms_cap + 1 entries */
    void *map;
    size_t map_len;
    int python; /* 0 unknown, 1 CPython 3.11 (GIL offsets valid), -1 not */
    int listed; /* seen by the last dl_iterate_phdr pass (a dlclosed one is dropped) */
};

#define MODULES_MAX 512
static struct module modules[MODULES_MAX];
static size_t nmodules;
static int sym_lock;

/* Another thread may be reading an ELF file (a few ms for libpython): wait for it, but not
 * forever.  That thread may itself be waiting for the loader lock, which a thread in a
 * dl_iterate_phdr callback holds while it takes a lock for the first time and comes here:
 * after 200 ms the object just goes without a symbol name. */
static bool lock_symbols(void)
{
    uint64_t t0 = 0;
    while (__atomic_exchange_n(&sym_lock, 1, __ATOMIC_ACQUIRE)) {
        uint64_t now = cvz_now();
        if (!t0)
            t0 = now;
        else if (now - t0 > 200000000ull)
            return false;
        sched_yield();
    }
    return true;
}

static void unlock_symbols(void)
{
    __atomic_store_n(&sym_lock, 0, __ATOMIC_RELEASE);
}

/* In a fork child the thread that held the lock is gone: free it.  A module it was loading is
 * left with fewer symbols, never with dangling ones (its table is published last). */
void cvz_w_symbols_fork_child(void)
{
    __atomic_store_n(&sym_lock, 0, __ATOMIC_RELEASE);
}

/* ==== module list ============================================================================= */

static int add_module(struct dl_phdr_info *info, size_t size, void *data)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uint64_t s = info->dlpi_addr + ph->p_vaddr;
        if (s < lo) lo = s;
        if (s + ph->p_memsz > hi) hi = s + ph->p_memsz;
    }
    int first = (*(int *)data)++ == 0; /* dl_iterate_phdr lists the executable first */
    if (hi == 0) return 0;
    const char *path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : NULL;
    const char *want = path ? path : "/proc/self/exe";
    for (size_t i = 0; i < nmodules; i++)
        if (modules[i].base == info->dlpi_addr && modules[i].lo == lo && modules[i].hi == hi &&
            strncmp(modules[i].path, want, sizeof modules[i].path - 1) == 0) {
            modules[i].listed = 1;
            return 0;
        }
    if (nmodules == MODULES_MAX) return 1;
    struct module *m = &modules[nmodules];
    memset(m, 0, sizeof *m);
    m->base = info->dlpi_addr;
    m->lo = lo;
    m->hi = hi;
    snprintf(m->path, sizeof m->path, "%s", want);
    m->listed = 1;
    if (!path && !first)
        m->loaded = 1; /* an unnamed module that is not the executable (vdso): nothing to read */
    nmodules++;
    return 0;
}

/* dl_iterate_phdr counts the objects ever loaded and unloaded: read them from the first
 * callback only, to know whether the module list can have changed. */
static int load_count(struct dl_phdr_info *info, size_t size, void *data)
{
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
        *(unsigned long long *)data = info->dlpi_adds + info->dlpi_subs;
    return 1;
}

static struct module *find_module(uint64_t addr)
{
    static unsigned long long listed = ~0ull; /* load count when the list was last filled */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nmodules; i++)
            if (addr >= modules[i].lo && addr < modules[i].hi) return &modules[i];
        if (pass == 0) {
            /* a heap or stack address is in no module: list them again only after a dlopen */
            unsigned long long count = ~1ull;
            dl_iterate_phdr(load_count, &count);
            if (count == listed) return NULL;
            for (size_t i = 0; i < nmodules; i++)
                modules[i].listed = 0;
            int index = 0;
            dl_iterate_phdr(add_module, &index);
            listed = count;
            /* drop the modules dlclose unloaded: another may now live at their addresses */
            size_t kept = 0;
            for (size_t i = 0; i < nmodules; i++) {
                if (modules[i].listed) {
                    modules[kept++] = modules[i];
                    continue;
                }
                if (modules[i].map) munmap(modules[i].map, modules[i].map_len);
                if (modules[i].syms)
                    munmap(modules[i].syms, (modules[i].syms_cap + 1) * sizeof(struct sym));
            }
            nmodules = kept;
        }
    }
    return NULL;
}

/* ==== ELF symbol tables ======================================================================= */

/* Heap sort by address, in place: qsort may call malloc, and this can run inside a custom
 * allocator's first lock (jemalloc locks pthread mutexes), where malloc would deadlock. */
static void sift_down(struct sym *a, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && a[child + 1].value > a[child].value) child++;
        if (a[root].value >= a[child].value) return;
        struct sym tmp = a[root];
        a[root] = a[child];
        a[child] = tmp;
        root = child;
    }
}

static void sort_syms(struct sym *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        struct sym tmp = a[0];
        a[0] = a[end];
        a[end] = tmp;
        sift_down(a, 0, end);
    }
}

static void load_symbols(struct module *m)
{
    m->loaded = 1;
    int fd = REAL(open)(m->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(ElfW(Ehdr))) {
        REAL(close)(fd);
        return;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    REAL(close)(fd);
    if (map == MAP_FAILED) return;
    const unsigned char *file = map;
    size_t len = (size_t)st.st_size;
    const ElfW(Ehdr) *eh = map;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shoff == 0 || eh->e_shentsize != sizeof(ElfW(Shdr)) ||
        eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(ElfW(Shdr)) > len) {
        munmap(map, len);
        return;
    }
    const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(file + eh->e_shoff);
    const ElfW(Shdr) *symtab = NULL;
    for (int i = 0; i < eh->e_shnum; i++)
        if (sh[i].sh_type == SHT_SYMTAB) symtab = &sh[i];
    if (!symtab)
        for (int i = 0; i < eh->e_shnum; i++)
            if (sh[i].sh_type == SHT_DYNSYM) symtab = &sh[i];
    if (!symtab || symtab->sh_link >= eh->e_shnum || symtab->sh_offset + symtab->sh_size > len ||
        sh[symtab->sh_link].sh_offset + sh[symtab->sh_link].sh_size > len) {
        munmap(map, len);
        return;
    }
    const ElfW(Sym) *es = (const ElfW(Sym) *)(file + symtab->sh_offset);
    size_t n = symtab->sh_size / sizeof(ElfW(Sym));
    struct sym *out = mmap(NULL, (n + 1) * sizeof *out, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (out == MAP_FAILED) {
        munmap(map, len);
        return;
    }
    size_t k = 0, strtab_len = sh[symtab->sh_link].sh_size;
    for (size_t i = 0; i < n; i++) {
        int type = ELF64_ST_TYPE(es[i].st_info);
        if (es[i].st_value == 0 || es[i].st_shndx == SHN_UNDEF || es[i].st_name >= strtab_len)
            continue;
        if (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC) continue;
        out[k++] = (struct sym){es[i].st_value, es[i].st_size, es[i].st_name, type != STT_OBJECT};
    }
    sort_syms(out, k);
    m->map = map;
    m->map_len = len;
    m->strtab = (const char *)file + sh[symtab->sh_link].sh_offset;
    m->strtab_len = strtab_len;
    m->syms = out;
    m->syms_cap = n;
    __atomic_store_n(&m->nsyms, k, __ATOMIC_RELEASE);
}

/* The symbol containing link-time address v, of the wanted sort; NULL when none. */
static const struct sym *lookup(const struct module *m, uint64_t v, int data_only)
{
    size_t lo = 0, hi = m->nsyms;
    while (lo < hi) { /* first symbol with value > v */
        size_t mid = (lo + hi) / 2;
        if (m->syms[mid].value <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Look back over a few symbols: several can share an address (crtend's zero-size
     * __TMC_END__ sits exactly on libpython's _PyRuntime), and only one contains v. */
    const struct sym *unsized = NULL;
    for (size_t i = lo, n = 0; i-- > 0 && n < 32; n++) {
        const struct sym *s = &m->syms[i];
        if (data_only && s->is_func) continue;
        if (v < s->value + s->size || (v == s->value && s->size == 0)) return s;
        if (!data_only && s->is_func && s->size == 0 && !unsized)
            unsized = s; /* a function without a size: the nearest one is our best guess */
    }
    return unsized;
}

static const struct sym *by_name(const struct module *m, const char *name)
{
    for (size_t i = 0; i < m->nsyms; i++)
        if (strcmp(m->strtab + m->syms[i].name, name) == 0) return &m->syms[i];
    return NULL;
}

/* Is module m CPython 3.11 (whose GIL offsets DESIGN.md measured)? */
static int is_python311(struct module *m)
{
    if (m->python == 0) {
        const struct sym *v = by_name(m, "Py_Version");
        m->python = -1;
        if (v && v->size >= sizeof(unsigned long)) {
            unsigned long ver = *(const unsigned long *)(uintptr_t)(m->base + v->value);
            if ((ver >> 16) == 0x030b) m->python = 1;
        }
    }
    return m->python == 1;
}

static const char *gil_name(uint64_t off)
{
    switch (off) {
    case 0x188:
        return "GIL.cond";
    case 0x1b8:
        return "GIL";
    case 0x1e0:
        return "GIL.switch_cond";
    case 0x210:
        return "GIL.switch_mutex";
    default:
        return NULL;
    }
}

/* The plain name of a C++ symbol (_ZL11queue_mutex -> queue_mutex, _ZN2ns4Pool4lockEv ->
 * ns::Pool::lock): nested source names only, enough for the objects and functions a lock is
 * named after; anything else (templates, lambdas, operators) is left mangled.  No malloc, so
 * no __cxa_demangle. */
static const char *demangle(const char *sym, char *out, size_t cap)
{
    const char *p = sym;
    if (strncmp(p, "_Z", 2) != 0) return sym;
    p += 2;
    int nested = *p == 'N';
    if (nested) p++;
    if (*p == 'L') p++; /* internal linkage */
    size_t n = 0;
    for (int part = 0;; part++) {
        if (*p < '1' || *p > '9') break;
        size_t len = 0;
        while (*p >= '0' && *p <= '9')
            len = len * 10 + (size_t)(*p++ - '0');
        if (len == 0 || strnlen(p, len) < len || n + len + 3 > cap) return sym;
        if (part) {
            out[n++] = ':';
            out[n++] = ':';
        }
        memcpy(out + n, p, len);
        n += len;
        p += len;
        if (!nested) break;
    }
    if (n == 0 || (nested && *p != 'E')) return sym;
    out[n] = '\0';
    return out;
}

const char *cvz_w_symbol(uint64_t addr, char *buf, size_t len, int data_only)
{
    const char *res = NULL;
    if (!lock_symbols()) return NULL;
    struct module *m = find_module(addr);
    if (m) {
        if (!m->loaded) load_symbols(m);
        const struct sym *s = m->nsyms ? lookup(m, addr - m->base, data_only) : NULL;
        if (s) {
            char plain[256];
            const char *name = demangle(m->strtab + s->name, plain, sizeof plain);
            uint64_t off = addr - m->base - s->value;
            const char *gil = NULL;
            if (data_only && strcmp(name, "_PyRuntime") == 0 && is_python311(m))
                gil = gil_name(off);
            if (gil)
                snprintf(buf, len, "%s", gil);
            else if (off)
                snprintf(buf, len, "%s+0x%llx", name, (unsigned long long)off);
            else
                snprintf(buf, len, "%s", name);
            res = buf;
        } else if (!data_only) {
            /* code in a stripped module (a static function of python3.11): name the module */
            const char *base = strrchr(m->path, '/');
            snprintf(buf, len, "%s+0x%llx", base ? base + 1 : m->path,
                     (unsigned long long)(addr - m->base));
            res = buf;
        }
    }
    unlock_symbols();
    return res;
}

const char *cvz_symbolize(uint64_t addr, char *buf, size_t len)
{
    const char *s = cvz_w_symbol(addr, buf, len, 1);
    return s ? s : cvz_w_symbol(addr, buf, len, 0);
}

/* ==== shared memory keys =======================================================================
 */

const char *cvz_w_shared_key(uint64_t addr, char *buf, size_t len, char *path, size_t path_len)
{
    /* Read /proc/self/maps in chunks and look for the line whose range holds addr. */
    int fd = REAL(open)("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    char chunk[8192], line[512];
    size_t ln = 0;
    const char *res = NULL;
    ssize_t got;
    int done = 0;
    while (!done && (got = REAL(read)(fd, chunk, sizeof chunk)) > 0) {
        for (ssize_t i = 0; i < got && !done; i++) {
            if (chunk[i] != '\n') {
                if (ln < sizeof line - 1) line[ln++] = chunk[i];
                continue;
            }
            line[ln] = '\0';
            ln = 0;
            unsigned long long lo, hi, off, inode;
            char perms[8], dev[16];
            int at = 0;
            if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %n", &lo, &hi, perms, &off, dev, &inode,
                       &at) != 6)
                continue;
            if (addr < lo || addr >= hi) continue;
            done = 1;
            if (perms[3] == 's' && inode != 0) {
                snprintf(buf, len, "%s:%llu:%llu", dev, inode, off + (addr - lo));
                res = buf;
                if (path && path_len) snprintf(path, path_len, "%s", line + at);
            }
        }
    }
    REAL(close)(fd);
    return res;
}
