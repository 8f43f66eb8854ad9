/*
 * zs_fuzz.h: what the fuzz targets share. Each target is a libFuzzer entry point over
 * the real decoder; with clang it links libFuzzer's main, with gcc replay.c's main runs
 * it over the corpus. ZS_FUZZ_ASSERT reports a broken property and aborts, so libFuzzer
 * keeps the input and the replay test fails.
 */
#ifndef ZS_FUZZ_H
#define ZS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define ZS_FUZZ_ASSERT(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz property broken at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} \
} while (0)

/* A NUL-terminated copy of data (caller frees); NULL when out of memory. */
char *zs_fuzz_strndup(const uint8_t *data, size_t size);

/* Splits text in place at the first '\n' and returns what follows it (or "" at the end). */
char *zs_fuzz_next_line(char *text);

/* A temporary file holding data, rewritten by each call; its path lives until exit. */
const char *zs_fuzz_temp_file(const uint8_t *data, size_t size, const char *suffix);

#endif
