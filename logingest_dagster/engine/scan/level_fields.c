/*
 * Level tokens found in compiled code, for the formats that carry most bytes: column formats,
 * JSON lines, logfmt, and the fixed-syntax klog, syslog PRI, logcat, Ruby Logger and Python
 * default formats.
 *
 * RE2 through pyarrow pays a fixed cost per line extracting a level group, most of a scan's time
 * on such files. Each pattern below is one that never needs to backtrack (each part's first byte
 * decides it), so a forward walk over the line finds the token RE2 extracts, several times faster
 * (per format: benchmarks/bench_finders.py and benchmarks/README.md).
 * formats.py has the patterns; the tests compare both on every format, byte for byte.
 *
 * Byte semantics as RE2 runs them on binary lines (Latin-1): \s is [\t\n\f\r ] (no \v), \w and
 * case folding are ASCII, `.` is any byte but \n.
 *
 * Below the finders: framing a chunk in one pass, and the per-line loops of the record rules
 * (records.py) and of the fallback's level-word check (fallback.py).
 *
 * Built by the package build (hatch_build.py, at `pip install`) into _level_fields.so and loaded
 * with ctypes (level_fields.py); without it the engine runs the RE2 patterns and numpy, with the
 * same results.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* LEVEL_FIELDS_ABI, LEVEL_FIELDS_FINDERS and `enum finder`, written by the build from the one
 * declaration in level_fields.py (ABI, Finder). A finder declared there and not handled in
 * line_token below fails the build (-Werror=switch); one handled here and not declared there does
 * not compile. */
#include "level_fields_interface.h"

/* What the loader checks against its own declaration: it refuses a library built from another. */
int level_fields_abi(void) { return LEVEL_FIELDS_ABI; }

const char *level_fields_finders(void) { return LEVEL_FIELDS_FINDERS; }

/* token_of_line values besides 1 + a token's index. */
#define NO_TOKEN 0
#define UNSURE (-1) /* logfmt: the caller runs the format's full pattern on this line */

/* What a finder returns instead of a token's start. */
#define NOT_FOUND (-1)
#define NOT_SURE (-2)

/* Byte classes by table: one load where a chain of comparisons ran on every byte of a field. */
#define SPACE 1
#define TOKEN 2 /* [\w:.-] */
static const uint8_t CLASS[256] = {
    ['\t'] = SPACE, ['\n'] = SPACE, ['\f'] = SPACE, ['\r'] = SPACE, [' '] = SPACE,
    ['0' ... '9'] = TOKEN, ['A' ... 'Z'] = TOKEN, ['a' ... 'z'] = TOKEN,
    ['_'] = TOKEN, [':'] = TOKEN, ['.'] = TOKEN, ['-'] = TOKEN,
};

static inline int is_space(uint8_t c) { return CLASS[c] & SPACE; }

/* \S* at p: the position after it. A byte above ' ' is never white space, so most bytes are
 * passed on one comparison, without a table load that waits on the byte's. */
static inline int64_t skip_non_space(const uint8_t *b, int64_t p, int64_t end) {
    for (;;) {
        /* Eight bytes at a time: the lowest byte below 0x21 of a word is the lowest flagged by
         * (x - 0x21..) & ~x & 0x80.. (a borrow only ever flags bytes above a true one). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        while (p + 8 <= end) {
            uint64_t x;
            memcpy(&x, b + p, 8);
            uint64_t below = (x - 0x2121212121212121ULL) & ~x & 0x8080808080808080ULL;
            if (below) {
                p += __builtin_ctzll(below) >> 3;
                break;
            }
            p += 8;
        }
#endif
        while (p < end && b[p] > ' ') p++;
        if (p >= end || is_space(b[p])) return p;
        p++;
    }
}

static inline int is_letter(uint8_t c) { return (uint8_t)((c | 0x20) - 'a') < 26; }

static inline int is_digit(uint8_t c) { return (uint8_t)(c - '0') < 10; }

static inline int is_token_byte(uint8_t c) { return CLASS[c] & TOKEN; }

static inline int is_opener(uint8_t c) { return c == '[' || c == '(' || c == '<' || c == '|'; }

static inline int is_closer(uint8_t c) {
    return c == ']' || c == ')' || c == '>' || c == '|' || c == ',';
}

/* Whether b[p, p + n) equals the lower-case ASCII `word`, ignoring case. */
static int equals_folded(const uint8_t *b, int64_t p, int64_t end, const char *word, int64_t n) {
    if (end - p < n) return 0;
    for (int64_t i = 0; i < n; i++) {
        uint8_t c = b[p + i];
        if (is_letter(c)) c |= 0x20;
        if (c != (uint8_t)word[i]) return 0;
    }
    return 1;
}

/* (?P<level>[A-Za-z]+|\d+) at p: its end, or -1. */
static int64_t word_or_number(const uint8_t *b, int64_t p, int64_t end) {
    int64_t q = p;
    if (q < end && is_letter(b[q])) {
        while (q < end && is_letter(b[q])) q++;
    } else {
        while (q < end && is_digit(b[q])) q++;
    }
    return q > p ? q : -1;
}

/* ---- column formats -------------------------------------------------------------------------
 * ^(?:FIELD){k}[\[(<|]?(?P<level>[A-Za-z:][\w:.-]*)[\])>|,]*(?:\s|$)
 * FIELD = \S+\s+ (plain) or (?:\[[^\]]*\]\S*|[^\s\[]\S*)\s+ (bracket-aware). */
static int64_t column_token(const uint8_t *b, int64_t p, int64_t end, int k, int brackets,
                            int64_t *token_end) {
    for (int field = 0; field < k; field++) {
        if (p >= end || is_space(b[p])) return NOT_FOUND;
        if (brackets && b[p] == '[') { /* \[[^\]]*\] : to the first closing bracket */
            const uint8_t *close = memchr(b + p + 1, ']', (size_t)(end - p - 1));
            if (close == NULL) return NOT_FOUND;
            p = close - b + 1;
        } else {
            p++;
        }
        p = skip_non_space(b, p, end); /* \S* */
        if (p >= end) return NOT_FOUND;                 /* \s+ needs one */
        while (p < end && is_space(b[p])) p++;
    }
    if (p < end && is_opener(b[p])) p++;
    if (p >= end || !(is_letter(b[p]) || b[p] == ':')) return NOT_FOUND;
    int64_t start = p++;
    while (p < end && is_token_byte(b[p])) p++;
    *token_end = p;
    while (p < end && is_closer(b[p])) p++;
    if (p < end && !is_space(b[p])) return NOT_FOUND; /* (?:\s|$) */
    return start;
}

/* ---- JSON lines ------------------------------------------------------------------------------
 * Guard ^\s*\{ (other lines have no level), then the leftmost
 * [{,]\s*"KEY"\s*:\s*"?(?P<level>[A-Za-z]+|\d+), KEY one of formats._JSON_KEYS. */
static const char *const JSON_KEYS[] = {
    "level", "severity", "lvl", "loglevel", "log.level", "log_level", "levelname", "level_name",
    "@l", "@level", "severitytext", "severity_text",
};

static int json_key(const uint8_t *b, int64_t p, int64_t n) {
    if (n == 8 && memcmp(b + p, "PRIORITY", 8) == 0) return 1; /* journald: case matters */
    uint8_t c = b[p] | 0x20;
    if (c != 'l' && c != 's' && b[p] != '@') return 0; /* no key starts otherwise */
    for (size_t i = 0; i < sizeof JSON_KEYS / sizeof *JSON_KEYS; i++) {
        if ((int64_t)strlen(JSON_KEYS[i]) == n && equals_folded(b, p, p + n, JSON_KEYS[i], n))
            return 1;
    }
    return 0;
}

static int64_t json_token(const uint8_t *b, int64_t p, int64_t end, int64_t *token_end) {
    int64_t q = p;
    while (q < end && is_space(b[q])) q++;
    if (q >= end || b[q] != '{') return NOT_FOUND;
    for (; q < end; q++) {
        if (b[q] != '{' && b[q] != ',') continue;
        int64_t r = q + 1;
        while (r < end && is_space(b[r])) r++;
        if (r >= end || b[r] != '"') continue;
        int64_t key = ++r;
        while (r < end && r - key <= 13 && b[r] != '"') r++; /* keys are at most 13 bytes */
        if (r >= end || b[r] != '"' || !json_key(b, key, r - key)) continue;
        r++;
        while (r < end && is_space(b[r])) r++;
        if (r >= end || b[r] != ':') continue;
        r++;
        while (r < end && is_space(b[r])) r++;
        if (r < end && b[r] == '"') r++;
        int64_t stop = word_or_number(b, r, end);
        if (stop < 0) continue;
        *token_end = stop;
        return r;
    }
    return NOT_FOUND;
}

/* ---- logfmt ----------------------------------------------------------------------------------
 * Where formats._LOGFMT_GUARD holds, the leftmost (?:^|\s)KEY="?(?P<level>[A-Za-z]+|\d+) with KEY
 * one of level|lvl|severity|log[._]?level, any case; elsewhere UNSURE. */
static const char *const LOGFMT_KEYS[] = {
    "level", "lvl", "severity", "loglevel", "log.level", "log_level",
};

/* KEY= at p: the position after the `=`, or -1. */
static int64_t logfmt_key(const uint8_t *b, int64_t p, int64_t end) {
    if (p >= end || ((b[p] | 0x20) != 'l' && (b[p] | 0x20) != 's')) return -1; /* no key then */
    for (size_t i = 0; i < sizeof LOGFMT_KEYS / sizeof *LOGFMT_KEYS; i++) {
        int64_t n = (int64_t)strlen(LOGFMT_KEYS[i]);
        if (p + n < end && b[p + n] == '=' && equals_folded(b, p, end, LOGFMT_KEYS[i], n))
            return p + n + 1;
    }
    return -1;
}

/* ^(?:(?:[^"\\]|\\.|"(?:[^"\\=]|\\.)*")*?\s)?KEY= : a KEY= at the start, or after a white-space
 * byte preceded only by unquoted text and quoted strings with no `=`. The units parse one way
 * only, so one walk decides it: where no unit fits, no later key can qualify. */
static int logfmt_guard(const uint8_t *b, int64_t p, int64_t end) {
    if (logfmt_key(b, p, end) >= 0) return 1;
    while (p < end) {
        uint8_t c = b[p];
        if (c == '\\') { /* \\. : any byte but a newline */
            if (p + 1 >= end || b[p + 1] == '\n') return 0;
            p += 2;
        } else if (c == '"') {
            for (p++;; p++) {
                if (p >= end || b[p] == '=') return 0;
                if (b[p] == '"') break;
                if (b[p] == '\\') {
                    if (p + 1 >= end || b[p + 1] == '\n') return 0;
                    p++;
                }
            }
            p++;
        } else {
            if (is_space(c) && logfmt_key(b, p + 1, end) >= 0) return 1;
            p++;
        }
    }
    return 0;
}

static int64_t logfmt_token(const uint8_t *b, int64_t start, int64_t end, int64_t *token_end) {
    if (!logfmt_guard(b, start, end)) return NOT_SURE;
    for (int64_t p = start; p < end; p++) {
        if (p > start && !is_space(b[p - 1])) continue;
        int64_t q = logfmt_key(b, p, end);
        if (q < 0) continue;
        if (q < end && b[q] == '"') q++;
        int64_t stop = word_or_number(b, q, end);
        if (stop < 0) continue;
        *token_end = stop;
        return q;
    }
    return NOT_FOUND;
}

/* ---- fixed-syntax formats ---------------------------------------------------------------------
 * Each walks its pattern in formats.DEDICATED byte by byte; the token is one field of it. */

/* n digits at p (exactly): the position after them, or -1. */
static int64_t digits(const uint8_t *b, int64_t p, int64_t end, int n) {
    for (int i = 0; i < n; i++, p++)
        if (p >= end || !is_digit(b[p])) return -1;
    return p;
}

/* `c` at p: the position after it, or -1. */
static int64_t byte_at(const uint8_t *b, int64_t p, int64_t end, uint8_t c) {
    return p >= 0 && p < end && b[p] == c ? p + 1 : -1;
}

/* \d\d:\d\d:\d\d\.\d+ at p: the position after it, or -1. */
static int64_t clock_time(const uint8_t *b, int64_t p, int64_t end) {
    p = digits(b, p, end, 2);
    p = p < 0 ? -1 : byte_at(b, p, end, ':');
    p = p < 0 ? -1 : digits(b, p, end, 2);
    p = p < 0 ? -1 : byte_at(b, p, end, ':');
    p = p < 0 ? -1 : digits(b, p, end, 2);
    p = p < 0 ? -1 : byte_at(b, p, end, '.');
    p = p < 0 ? -1 : digits(b, p, end, 1);
    if (p < 0) return -1;
    while (p < end && is_digit(b[p])) p++;
    return p;
}

/* \s+ at p: the position after it, or -1. */
static int64_t spaces(const uint8_t *b, int64_t p, int64_t end) {
    if (p < 0 || p >= end || !is_space(b[p])) return -1;
    while (p < end && is_space(b[p])) p++;
    return p;
}

/* \d+ at p: the position after it, or -1. */
static int64_t number(const uint8_t *b, int64_t p, int64_t end) {
    if (p < 0 || p >= end || !is_digit(b[p])) return -1;
    while (p < end && is_digit(b[p])) p++;
    return p;
}

static inline int is_one_of(uint8_t c, const char *set) {
    for (; *set; set++) /* inline: strchr was a library call per line */
        if ((uint8_t)*set == c) return 1;
    return 0;
}

/* ^(?P<level>[IWEF])\d{4} \d\d:\d\d:\d\d\.\d+  */
static int64_t klog_token(const uint8_t *b, int64_t start, int64_t end, int64_t *token_end) {
    if (start >= end || !is_one_of(b[start], "IWEF")) return NOT_FOUND;
    int64_t p = digits(b, start + 1, end, 4);
    p = p < 0 ? -1 : byte_at(b, p, end, ' ');
    p = p < 0 ? -1 : clock_time(b, p, end);
    if (byte_at(b, p, end, ' ') < 0) return NOT_FOUND;
    *token_end = start + 1;
    return start;
}

/* ^<(?P<level>\d{1,3})> */
static int64_t syslog_pri_token(const uint8_t *b, int64_t start, int64_t end, int64_t *token_end) {
    int64_t p = byte_at(b, start, end, '<');
    int64_t stop = number(b, p, end);
    if (stop < 0 || stop - p > 3 || byte_at(b, stop, end, '>') < 0) return NOT_FOUND;
    *token_end = stop;
    return p;
}

/* ^(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+\d+\s+\d+\s+(?P<level>[VDIWEFA])\s */
static int64_t logcat_after_year(const uint8_t *b, int64_t p, int64_t end, int64_t *token_end) {
    p = digits(b, p, end, 2);
    p = p < 0 ? -1 : byte_at(b, p, end, '-');
    p = p < 0 ? -1 : digits(b, p, end, 2);
    p = p < 0 ? -1 : byte_at(b, p, end, ' ');
    p = p < 0 ? -1 : clock_time(b, p, end);
    p = spaces(b, p, end);
    p = spaces(b, number(b, p, end), end);
    p = spaces(b, number(b, p, end), end);
    if (p < 0 || p >= end || !is_one_of(b[p], "VDIWEFA")) return NOT_FOUND;
    if (p + 1 >= end || !is_space(b[p + 1])) return NOT_FOUND;
    *token_end = p + 1;
    return p;
}

static int64_t logcat_token(const uint8_t *b, int64_t start, int64_t end, int64_t *token_end) {
    int64_t year = digits(b, start, end, 4);
    year = year < 0 ? -1 : byte_at(b, year, end, '-');
    if (year >= 0) { /* the optional year is tried first, as RE2 does */
        int64_t found = logcat_after_year(b, year, end, token_end);
        if (found >= 0) return found;
    }
    return logcat_after_year(b, start, end, token_end);
}

/* ^[DIWEFA], \[[^\]]*\]\s+(?P<level>[A-Z]+) --  */
static int64_t ruby_logger_token(const uint8_t *b, int64_t start, int64_t end,
                                 int64_t *token_end) {
    if (start >= end || !is_one_of(b[start], "DIWEFA")) return NOT_FOUND;
    int64_t p = byte_at(b, start + 1, end, ',');
    p = byte_at(b, p, end, ' ');
    p = byte_at(b, p, end, '[');
    if (p < 0) return NOT_FOUND;
    const uint8_t *close = memchr(b + p, ']', (size_t)(end - p));
    if (close == NULL) return NOT_FOUND;
    p = spaces(b, close - b + 1, end);
    if (p < 0) return NOT_FOUND;
    int64_t level = p;
    while (p < end && (uint8_t)(b[p] - 'A') < 26) p++;
    if (p == level || end - p < 4 || memcmp(b + p, " -- ", 4) != 0) return NOT_FOUND;
    *token_end = p;
    return level;
}

/* ^(?P<level>[A-Z]+):[\w.<>-]*: */
static int64_t python_default_token(const uint8_t *b, int64_t start, int64_t end,
                                    int64_t *token_end) {
    int64_t p = start;
    while (p < end && (uint8_t)(b[p] - 'A') < 26) p++;
    if (p == start || byte_at(b, p, end, ':') < 0) return NOT_FOUND;
    int64_t stop = p++;
    while (p < end && (is_letter(b[p]) || is_digit(b[p]) || is_one_of(b[p], "_.<>-"))) p++;
    if (byte_at(b, p, end, ':') < 0) return NOT_FOUND;
    *token_end = stop;
    return start;
}

/* A line's token start (its end in *token_end), NOT_FOUND or NOT_SURE. */
static inline int64_t line_token(int finder, int k, int brackets, const uint8_t *b, int64_t p,
                                 int64_t end, int64_t *token_end) {
    switch ((enum finder)finder) { /* an enum, so that -Wswitch sees every finder */
    case COLUMN: return column_token(b, p, end, k, brackets, token_end);
    case JSON: return json_token(b, p, end, token_end);
    case LOGFMT: return logfmt_token(b, p, end, token_end);
    case KLOG: return klog_token(b, p, end, token_end);
    case SYSLOG_PRI: return syslog_pri_token(b, p, end, token_end);
    case LOGCAT_THREADTIME: return logcat_token(b, p, end, token_end);
    case RUBY_LOGGER: return ruby_logger_token(b, p, end, token_end);
    case PYTHON_DEFAULT: return python_default_token(b, p, end, token_end);
    }
    return NOT_SURE; /* no such finder (the loader never passes one): the caller runs RE2 */
}

static inline uint64_t fnv1a(const uint8_t *p, int64_t n) {
    if (n <= 8) { /* most level tokens: one multiplication of the bytes as a word */
        uint64_t x = 0;
        memcpy(&x, p, (size_t)n);
        x = (x ^ (uint64_t)n) * 0x9E3779B97F4A7C15ULL;
        return x ^ (x >> 29);
    }
    uint64_t h = 1469598103934665603ULL;
    for (int64_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* The distinct tokens of a block, in order of first appearance: an open-addressing set of token
 * indices over the caller's token_start/token_length arrays. It starts small and doubles, so a
 * block of a few distinct levels (the usual case) never clears or touches a large table. */
struct token_set {
    int32_t *slots; /* token index, or -1: empty */
    uint64_t capacity;
    int64_t distinct;
    /* The last line's token (last_index 0: none yet): most lines repeat the line above's level,
     * found again without hashing. */
    int64_t last_start, last_length;
    int32_t last_index;
};

static int token_set_init(struct token_set *set) {
    set->capacity = 256;
    set->distinct = 0;
    set->last_index = 0;
    set->slots = malloc(set->capacity * sizeof(int32_t));
    if (set->slots == NULL) return -1;
    memset(set->slots, 0xff, set->capacity * sizeof(int32_t));
    return 0;
}

static int token_set_grow(struct token_set *set, const uint8_t *data, const int64_t *token_start,
                          const int32_t *token_length) {
    uint64_t capacity = set->capacity * 2;
    int32_t *slots = malloc(capacity * sizeof(int32_t));
    if (slots == NULL) return -1;
    memset(slots, 0xff, capacity * sizeof(int32_t));
    for (int64_t j = 0; j < set->distinct; j++) {
        uint64_t slot = fnv1a(data + token_start[j], token_length[j]) & (capacity - 1);
        while (slots[slot] >= 0) slot = (slot + 1) & (capacity - 1);
        slots[slot] = (int32_t)j;
    }
    free(set->slots);
    set->slots = slots;
    set->capacity = capacity;
    return 0;
}

/* 1 + the index of data[start, +length) among the distinct tokens, added if new; -1 when out of
 * memory. */
static inline int32_t token_set_add(struct token_set *set, const uint8_t *data, int64_t start,
                                    int64_t length, int64_t *token_start,
                                    int32_t *token_length) {
    if ((uint64_t)set->distinct * 2 >= set->capacity &&
        token_set_grow(set, data, token_start, token_length) < 0)
        return -1;
    uint64_t slot = fnv1a(data + start, length) & (set->capacity - 1);
    for (;;) {
        int32_t j = set->slots[slot];
        if (j < 0) {
            set->slots[slot] = (int32_t)set->distinct;
            token_start[set->distinct] = start;
            token_length[set->distinct] = (int32_t)length;
            return (int32_t)++set->distinct;
        }
        if (token_length[j] == length &&
            memcmp(data + token_start[j], data + start, (size_t)length) == 0)
            return j + 1;
        slot = (slot + 1) & (set->capacity - 1);
    }
}

/* Line [start, end)'s token_of_line value (NO_TOKEN, UNSURE or 1 + a token index); -2 when out of
 * memory. */
static inline int32_t token_of(struct token_set *set, int finder, int k, int brackets,
                               const uint8_t *data, int64_t start, int64_t end,
                               int64_t *token_start, int32_t *token_length) {
    int64_t token_end;
    int64_t found = line_token(finder, k, brackets, data, start, end, &token_end);
    if (found < 0) return found == NOT_SURE ? UNSURE : NO_TOKEN;
    int64_t length = token_end - found;
    if (set->last_index > 0 && length == set->last_length) {
        int64_t i = 0;
        while (i < length && data[found + i] == data[set->last_start + i]) i++;
        if (i == length) return set->last_index;
    }
    int32_t index = token_set_add(set, data, found, length, token_start, token_length);
    if (index < 0) return -2;
    set->last_start = found;
    set->last_length = length;
    set->last_index = index;
    return index;
}

/*
 * For each of the n lines (line i is data[offsets[i], offsets[i+1])), which distinct token it
 * holds: token_of_line[i] is NO_TOKEN, UNSURE, or 1 + the token's index among the distinct
 * tokens in order of first appearance. Token j is data[token_start[j], +token_length[j]). The
 * token arrays need room for n entries. `k` and `brackets` are a column format's. Returns the
 * number of distinct tokens, -1 when out of memory.
 */
int64_t level_tokens(int finder, int k, int brackets, const uint8_t *data, const int64_t *offsets,
                     int64_t n, int32_t *token_of_line, int64_t *token_start,
                     int32_t *token_length) {
    struct token_set set;
    if (token_set_init(&set) < 0) return -1;
    for (int64_t i = 0; i < n; i++) {
        int32_t t = token_of(&set, finder, k, brackets, data, offsets[i], offsets[i + 1],
                             token_start, token_length);
        if (t == -2) {
            free(set.slots);
            return -1;
        }
        token_of_line[i] = t;
    }
    free(set.slots);
    return set.distinct;
}

/*
 * The lines of data[0, size) in one pass: where each newline-terminated line starts, its first
 * byte, and (finder >= 0) its level token as level_tokens finds it. Bytes after the last newline
 * are not a line. offsets[0] = 0 and line i is data[offsets[i], offsets[i+1]); offsets has room
 * for capacity + 1 entries, first and the token arrays for capacity. Returns n; *distinct gets the
 * number of distinct tokens. -1 when out of memory, -2 when there are more than capacity lines
 * (size lines is always room enough: a line holds its newline).
 *
 * Newlines are found 16 bytes at a time (SSE2, part of every x86-64), elsewhere with memchr.
 * Each line's token is found as soon as its end is known, while its bytes are still in cache.
 */
int64_t frame_lines(int finder, int k, int brackets, const uint8_t *data, int64_t size,
                    int64_t capacity, int64_t *offsets, uint8_t *first, int32_t *token_of_line,
                    int64_t *token_start, int32_t *token_length, int64_t *distinct) {
    struct token_set set = {NULL, 0, 0, 0, 0, 0};
    if (finder >= 0 && token_set_init(&set) < 0) return -1;
    int64_t n = 0, start = 0;
    offsets[0] = 0;
#define END_OF_LINE(newline)                                                                   \
    do {                                                                                       \
        int64_t end_ = (newline) + 1;                                                          \
        if (n == capacity) {                                                                   \
            free(set.slots);                                                                   \
            return -2;                                                                         \
        }                                                                                      \
        first[n] = data[start];                                                                \
        if (finder >= 0) {                                                                     \
            int32_t t_ = token_of(&set, finder, k, brackets, data, start, end_, token_start,   \
                                  token_length);                                               \
            if (t_ == -2) {                                                                    \
                free(set.slots);                                                               \
                return -1;                                                                     \
            }                                                                                  \
            token_of_line[n] = t_;                                                             \
        }                                                                                      \
        offsets[++n] = end_;                                                                   \
        start = end_;                                                                          \
    } while (0)
    int64_t p = 0;
#if defined(__SSE2__)
    const __m128i newline = _mm_set1_epi8('\n');
    for (; p + 16 <= size; p += 16) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(data + p));
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, newline));
        while (mask) {
            END_OF_LINE(p + __builtin_ctz(mask));
            mask &= mask - 1;
        }
    }
#endif
    while (p < size) {
        const uint8_t *found = memchr(data + p, '\n', (size_t)(size - p));
        if (found == NULL) break;
        END_OF_LINE(found - data);
        p = start;
    }
#undef END_OF_LINE
    free(set.slots);
    *distinct = set.distinct;
    return n;
}

/* ---- lines that may not start a record ------------------------------------------------------
 * records.NOT_RECORD is an anchored alternation; each alternative's first bytes are fixed enough
 * to rule most lines out at a glance. may_not_record answers 1 wherever the pattern can match
 * (and sometimes where it cannot: the caller runs the pattern on those lines), so it never
 * changes an answer, only how many lines the pattern is run on. */
static int starts_with(const uint8_t *b, int64_t p, int64_t end, const char *prefix) {
    int64_t n = (int64_t)strlen(prefix);
    return end - p >= n && memcmp(b + p, prefix, (size_t)n) == 0;
}

static int ends_with(const uint8_t *b, int64_t start, int64_t end, const char *suffix) {
    int64_t n = (int64_t)strlen(suffix);
    return end - start >= n && memcmp(b + end - n, suffix, (size_t)n) == 0;
}

static int is_java_word(uint8_t c) { return is_letter(c) || is_digit(c) || c == '_' || c == '$'; }

static int may_not_record(const uint8_t *b, int64_t p, int64_t end) {
    if (p >= end || is_space(b[p])) return 1; /* \s*$ */
    /* The fixed prefixes, looked at only where the first byte is theirs. */
    switch (b[p]) {
    case 'C': if (starts_with(b, p, end, "Caused by:")) return 1; break;
    case 'S': if (starts_with(b, p, end, "Suppressed:")) return 1; break;
    case '.': return starts_with(b, p, end, "... ");
    case 'T':
        if (starts_with(b, p, end, "Traceback (") || starts_with(b, p, end, "The above exception"))
            return 1;
        break;
    case 'D': if (starts_with(b, p, end, "During handling")) return 1; break;
    case 'E': if (starts_with(b, p, end, "Exception in thread ")) return 1; break;
    case 'g': if (starts_with(b, p, end, "goroutine ")) return 1; break;
    default: break;
    }
    /* [A-Z][a-z]{2} \d{1,2}, : java.util.logging's header line */
    if (end - p >= 7 && (uint8_t)(b[p] - 'A') < 26 && (uint8_t)(b[p + 1] - 'a') < 26 &&
        (uint8_t)(b[p + 2] - 'a') < 26 && b[p + 3] == ' ' && is_digit(b[p + 4]) &&
        (b[p + 5] == ',' || (is_digit(b[p + 5]) && b[p + 6] == ',')))
        return 1;
    /* (?:[a-zA-Z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?::|\s*$): the name takes the
     * whole run of [\w$.] the line starts with (the byte after it is `:`, white space or the
     * end), holds a dot, and ends with one of the three words. */
    if (!(is_letter(b[p]) || b[p] == '_' || b[p] == '$')) return 0;
    int64_t q = p, dot = 0;
    while (q < end && (is_java_word(b[q]) || b[q] == '.')) dot |= b[q++] == '.';
    return dot && (ends_with(b, p, q, "Exception") || ends_with(b, p, q, "Error") ||
                   ends_with(b, p, q, "Throwable"));
}

/* For each of the n lines lines[i] (line j is data[offsets[j], offsets[j+1])), whether
 * records.NOT_RECORD may match it (out[i] = 1) or cannot (0). Returns how many may. */
int64_t may_not_be_records(const uint8_t *data, const int64_t *offsets, const int64_t *lines,
                           int64_t n, uint8_t *out) {
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t j = lines[i];
        out[i] = (uint8_t)may_not_record(data, offsets[j], offsets[j + 1]);
        count += out[i];
    }
    return count;
}

/* ---- lines that may hold a level field (fallback.py) -------------------------------------------
 * fallback._LEVELISH on a line's first 200 bytes: (?i)(?:^[{<]|\b(?:WORD|...)\b). Its words are
 * letters only, so a match is a whole run of [A-Za-z0-9_] (the bytes \b sees as word bytes)
 * that equals one of them, ignoring ASCII case. */
static const char *const LEVEL_WORDS[] = {
    "trace", "debug", "info", "notice", "warn", "warning", "error", "err", "fatal", "crit",
    "critical", "severe", "emerg", "alert", "panic", "fine", "finer", "finest", "verbose",
};
#define LEVELISH_HEAD 200
#define LONGEST_LEVEL_WORD 8

static int is_word_byte(uint8_t c) { return is_letter(c) || is_digit(c) || c == '_'; }

/* Whether the run b[start, start + n) of word bytes is one of LEVEL_WORDS, ignoring case. */
static int is_level_word(const uint8_t *b, int64_t start, int64_t n) {
    char folded[LONGEST_LEVEL_WORD];
    if (n < 3 || n > LONGEST_LEVEL_WORD) return 0;
    for (int64_t i = 0; i < n; i++) {
        if (!is_letter(b[start + i])) return 0; /* the words are letters only */
        folded[i] = (char)(b[start + i] | 0x20);
    }
    for (size_t i = 0; i < sizeof LEVEL_WORDS / sizeof *LEVEL_WORDS; i++)
        if (LEVEL_WORDS[i][0] == folded[0] && strlen(LEVEL_WORDS[i]) == (size_t)n &&
            memcmp(LEVEL_WORDS[i], folded, (size_t)n) == 0)
            return 1;
    return 0;
}

static int levelish(const uint8_t *b, int64_t p, int64_t end) {
    if (end - p > LEVELISH_HEAD) end = p + LEVELISH_HEAD;
    if (p < end && (b[p] == '{' || b[p] == '<')) return 1;
    while (p < end) {
        if (!is_word_byte(b[p])) {
            p++;
            continue;
        }
        int64_t start = p;
        while (p < end && is_word_byte(b[p])) p++;
        if (is_level_word(b, start, p - start)) return 1;
    }
    return 0;
}

/* For each of the n lines lines[i] (line j is data[offsets[j], offsets[j+1])), whether
 * fallback._LEVELISH matches its first 200 bytes (out[i] = 1) or not. Returns how many do. */
int64_t levelish_lines(const uint8_t *data, const int64_t *offsets, const int64_t *lines,
                       int64_t n, uint8_t *out) {
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t j = lines[i];
        out[i] = (uint8_t)levelish(data, offsets[j], offsets[j + 1]);
        count += out[i];
    }
    return count;
}

/* (?:[a-zA-Z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?::|\s*$) at p, exactly: the name is
 * the whole run of [\w$.] the line starts with (anything shorter is followed by a name byte,
 * neither `:` nor white space), cut by its dots into non-empty parts that do not start with a
 * digit, the last one ending with one of the three words. */
static int java_exception_line(const uint8_t *b, int64_t p, int64_t end) {
    int64_t q = p, part = p, dots = 0;
    for (; q < end && (is_java_word(b[q]) || b[q] == '.'); q++) {
        if (b[q] != '.') continue;
        if (q == part || is_digit(b[part])) return 0;
        dots++;
        part = q + 1;
    }
    if (!dots || !(ends_with(b, part, q, "Exception") || ends_with(b, part, q, "Error") ||
                   ends_with(b, part, q, "Throwable")))
        return 0;
    if (q < end && b[q] == ':') return 1;
    while (q < end && is_space(b[q])) q++;
    return q == end;
}

/* Whether records.NOT_RECORD matches a line: 0 it cannot, 1 it does (an alternative that is a
 * fixed prefix, white space only, `... N more`, a Java exception's name), 2 only the pattern can
 * tell (the caller runs it). Most trace lines get their answer here, without a call to RE2. */
static int not_record_verdict(const uint8_t *b, int64_t p, int64_t end) {
    if (!may_not_record(b, p, end)) return 0;
    int64_t q = p;
    while (q < end && is_space(b[q])) q++;
    if (q == end) return 1; /* \s*$ */
    static const char *const PREFIXES[] = {
        "Caused by:", "Suppressed:", "Traceback (most recent call last):",
        "During handling of the above exception", "The above exception was the direct cause",
        "Exception in thread ",
    };
    for (size_t i = 0; i < sizeof PREFIXES / sizeof *PREFIXES; i++)
        if (starts_with(b, p, end, PREFIXES[i])) return 1;
    if (starts_with(b, p, end, "... ")) { /* \.\.\. \d+ (?:more|common frames omitted) */
        int64_t d = number(b, p + 4, end);
        if (d >= 0 && (starts_with(b, d, end, " more") ||
                       starts_with(b, d, end, " common frames omitted")))
            return 1;
    }
    if (java_exception_line(b, p, end)) return 1;
    return 2;
}

/* ---- record folding (records.RecordCounter._classify) --------------------------------------
 * The passes over a block's per-line codes that numpy made in a dozen whole-array operations,
 * each here one loop. A line's code is its level's index (below CODE_CONTINUED), CODE_CONTINUED
 * or CODE_NONE (records.py); a line is a "head" when its code is below CODE_NONE. The patterns
 * (NOT_RECORD, GO_FRAME, EXCEPTION_LINE) still run in the caller, on the lines these passes
 * list. */
#define CODE_CONTINUED 8
#define CODE_NONE 9
#define NOT_RECORD_FLAG 1
#define INDENTED_FLAG 2

/* records._MAY_NOT_BE_RECORD: a NOT_RECORD line starts with a letter, `_`, `$`, `.` or white
 * space. */
static int may_start_not_record(uint8_t c) {
    return is_letter(c) || c == '_' || c == '$' || c == '.' || c == ' ' || (c >= '\t' && c <= '\r');
}

/* Head lines that NOT_RECORD matches (a stack-trace line a column format reads as a header) get
 * CODE_NONE; those only the pattern can tell about go to suspects. Returns how many. */
int64_t fold_suspects(uint8_t *codes, const uint8_t *first, const uint8_t *data,
                      const int64_t *offsets, int64_t n, int64_t *suspects) {
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        if (codes[i] >= CODE_NONE || !may_start_not_record(first[i])) continue;
        int verdict = not_record_verdict(data, offsets[i], offsets[i + 1]);
        if (verdict == 1) codes[i] = CODE_NONE;
        if (verdict == 2) suspects[count++] = i;
    }
    return count;
}

/* Each line's flags: NOT_RECORD_FLAG for a CODE_CONTINUED line, an indented non-head line
 * (INDENTED_FLAG too) or a non-head line NOT_RECORD matches. The non-head, non-indented lines
 * only the pattern can tell about go to others (the caller sets NOT_RECORD_FLAG on those it
 * matches). Returns how many, or -1 when every line is a head and none CODE_CONTINUED (every line
 * a record; flags untouched). */
int64_t fold_lines(const uint8_t *codes, const uint8_t *first, const uint8_t *data,
                   const int64_t *offsets, int64_t n, uint8_t *flags, int64_t *others) {
    int64_t i = 0;
    while (i < n && codes[i] < CODE_CONTINUED) i++;
    if (i == n) return -1;
    int64_t count = 0;
    for (i = 0; i < n; i++) {
        uint8_t code = codes[i], c = first[i];
        if (code < CODE_NONE) {
            flags[i] = code == CODE_CONTINUED ? NOT_RECORD_FLAG : 0;
        } else if (c == ' ' || c == '\t') {
            flags[i] = NOT_RECORD_FLAG | INDENTED_FLAG;
        } else {
            int verdict = may_start_not_record(c) ? not_record_verdict(data, offsets[i], offsets[i + 1]) : 0;
            flags[i] = verdict == 1 ? NOT_RECORD_FLAG : 0;
            if (verdict == 2) others[count++] = i;
        }
    }
    return count;
}

/* Non-head lines not yet known as no record whose line above is no record (the block's first
 * line: state[1]): they may close or continue a trace. Their indices go to maybe, and
 * after_frame[j] says whether the line above maybe[j] is indented (state[0] for the first).
 * state becomes the last line's (indented, not record). Returns how many. */
int64_t fold_continuations(const uint8_t *codes, const uint8_t *flags, int64_t n, uint8_t *state,
                           int64_t *maybe, uint8_t *after_frame) {
    uint8_t above = (uint8_t)((state[0] ? INDENTED_FLAG : 0) | (state[1] ? NOT_RECORD_FLAG : 0));
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        uint8_t f = flags[i];
        if (codes[i] >= CODE_NONE && !(f & NOT_RECORD_FLAG) && (above & NOT_RECORD_FLAG)) {
            maybe[count] = i;
            after_frame[count++] = (above & INDENTED_FLAG) != 0;
        }
        above = f;
    }
    if (n) {
        state[0] = (above & INDENTED_FLAG) != 0;
        state[1] = (above & NOT_RECORD_FLAG) != 0;
    }
    return count;
}

/* Records per level: counts[level] for each record line (record NULL: every line), a code at or
 * above CODE_CONTINUED counting as UNKNOWN (unknown). */
void count_records(const uint8_t *codes, const uint8_t *record, int64_t n, int unknown,
                   int64_t *counts) {
    for (int64_t i = 0; i < n; i++) {
        if (record != NULL && !record[i]) continue;
        uint8_t code = codes[i];
        counts[code >= CODE_CONTINUED ? unknown : code]++;
    }
}
