/* LD_PRELOAD helper for bench/alloc_check.ts: counts heap allocations of
 * 64 KiB or more (frame-sized buffers) made while a program runs, and
 * prints the count at exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned long large;
static void *(*real_malloc)(size_t);
static void *(*real_realloc)(void *, size_t);

void *malloc(size_t n) {
  if (!real_malloc) real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
  if (n >= 65536) __atomic_add_fetch(&large, 1, __ATOMIC_RELAXED);
  return real_malloc(n);
}

void *realloc(void *p, size_t n) {
  if (!real_realloc) real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
  if (n >= 65536) __atomic_add_fetch(&large, 1, __ATOMIC_RELAXED);
  return real_realloc(p, n);
}

__attribute__((destructor)) static void report(void) {
  fprintf(stderr, "alloc_count: %lu allocations of 64 KiB or more\n", large);
}
