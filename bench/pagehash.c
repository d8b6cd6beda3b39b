/*
 * The stand-in for the physical limit of the engine benchmark: the same ten million
 * lookups as bench/gen_workloads.py's workloads, done in a plain open-addressing hash
 * table of the same pages (each device's three mappings at their own page sizes:
 * one 4 KiB page, one 2 MiB page, sixteen 4 KiB pages), with the same SplitMix64 sequence.
 *
 *   cc -O2 -o pagehash pagehash.c && ./pagehash 20000 hit|walk
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { uint64_t key; uint64_t phys; } slot_t;

static slot_t *table;
static uint64_t mask;

static uint64_t hash(uint64_t k) {
    k ^= k >> 33; k *= 0xff51afd7ed558ccdULL; k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53ULL; k ^= k >> 33;
    return k;
}

static uint64_t make_key(uint64_t dev, uint64_t page, unsigned shift) { return (dev << 40) | (page << 6) | shift; }

static void insert(uint64_t key, uint64_t phys) {
    uint64_t i = hash(key) & mask;
    while (table[i].key) i = (i + 1) & mask;
    table[i].key = key;
    table[i].phys = phys;
}

static uint64_t lookup(uint64_t dev, uint64_t iova) {
    static const unsigned shifts[] = {12, 21};
    for (int s = 0; s < 2; s++) {
        uint64_t key = make_key(dev, iova >> shifts[s], shifts[s]);
        uint64_t i = hash(key) & mask;
        while (table[i].key) {
            if (table[i].key == key) return table[i].phys | (iova & ((1ULL << shifts[s]) - 1));
            i = (i + 1) & mask;
        }
    }
    return 0;
}

static uint64_t state;
static uint64_t next(void) {
    state += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static uint64_t below(uint64_t bound) { return (uint64_t)(((__uint128_t)bound * next()) >> 64); }

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s DEVICES hit|walk\n", argv[0]); return 64; }
    uint64_t n = strtoull(argv[1], 0, 10);
    int walk = strcmp(argv[2], "walk") == 0;
    uint64_t entries = n * 18, size = 1;
    while (size < entries * 2) size <<= 1;
    mask = size - 1;
    table = calloc(size, sizeof(slot_t));
    for (uint64_t d = 0; d < n; d++) {
        uint64_t phys = 0x100000000ULL + d * (4ULL << 20);
        insert(make_key(d + 1, 0x100000 >> 12, 12), phys);
        insert(make_key(d + 1, 0x200000 >> 21, 21), phys + (2 << 20));
        for (uint64_t p = 0; p < 16; p++) insert(make_key(d + 1, (0x40000000 >> 12) + p, 12), phys + 0x10000 + p * 4096);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t sum = 0, count = 10000000;
    if (walk) {
        state = 1;
        for (uint64_t k = 0; k < count; k++) {
            uint64_t d = below(n);
            uint64_t a = 0x40000000 + below(16) * 4096;
            sum += lookup(d + 1, a);
        }
    } else {
        uint64_t per = count / n;
        for (uint64_t d = 0; d < n; d++)
            for (uint64_t r = 0; r < per; r++) sum += lookup(d + 1, 0x100000);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%s: %llu lookups in %.3f s = %.1f M/s (checksum %llx)\n", argv[2], (unsigned long long)count, s, count / s / 1e6, (unsigned long long)sum);
    return 0;
}
