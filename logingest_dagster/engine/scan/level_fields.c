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
 * Built by the package build (hatch_build.py, at `pip install`) into _level_fields.so and loaded
 * with ctypes (level_fields.py); without it the engine runs the RE2 patterns, with the same
 * results.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

static inline int is_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static inline int is_letter(uint8_t c) { return (uint8_t)((c | 0x20) - 'a') < 26; }

static inline int is_digit(uint8_t c) { return (uint8_t)(c - '0') < 10; }

static inline int is_token_byte(uint8_t c) {
    return is_letter(c) || is_digit(c) || c == '_' || c == ':' || c == '.' || c == '-';
}

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
        while (p < end && !is_space(b[p])) p++; /* \S* */
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

static int is_one_of(uint8_t c, const char *set) { return c != 0 && strchr(set, c) != NULL; }

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
    uint64_t h = 1469598103934665603ULL;
    for (int64_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
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
    uint64_t capacity = 64;
    while (capacity < (uint64_t)n * 2) capacity <<= 1;
    int32_t *slots = malloc(capacity * sizeof(int32_t)); /* token index, or -1: empty */
    if (slots == NULL) return -1;
    memset(slots, 0xff, capacity * sizeof(int32_t));
    int64_t distinct = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t end;
        int64_t start = line_token(finder, k, brackets, data, offsets[i], offsets[i + 1], &end);
        if (start < 0) {
            token_of_line[i] = start == NOT_SURE ? UNSURE : NO_TOKEN;
            continue;
        }
        int64_t length = end - start;
        uint64_t slot = fnv1a(data + start, length) & (capacity - 1);
        for (;;) {
            int32_t j = slots[slot];
            if (j < 0) {
                slots[slot] = (int32_t)distinct;
                token_start[distinct] = start;
                token_length[distinct] = (int32_t)length;
                token_of_line[i] = (int32_t)++distinct;
                break;
            }
            if (token_length[j] == length &&
                memcmp(data + token_start[j], data + start, (size_t)length) == 0) {
                token_of_line[i] = j + 1;
                break;
            }
            slot = (slot + 1) & (capacity - 1);
        }
    }
    free(slots);
    return distinct;
}
