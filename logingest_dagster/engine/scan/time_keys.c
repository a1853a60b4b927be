/*
 * Each line's time, found by the time families' patterns (timestamps.py FAMILIES) in compiled
 * code: a packed minute key per line, so Python parses only a block's distinct minutes.
 *
 * RE2 through pyarrow costs about a microsecond a record line for a time family's pattern, more
 * than the whole scan of it. Each matcher below walks a line as the pattern's backtracking would:
 * start positions left to right, and at each the pattern's choices in the order RE2 (leftmost-
 * first, as Perl and Python's `re`) prefers them (a greedy optional part taken before left out, the
 * longest digit run first, alternatives in their written order); the first way that matches is the
 * match, and its groups are RE2's. The tests compare both on every format and the loghub logs.
 *
 * Byte semantics as RE2 runs the patterns on binary lines (Latin-1): \d is ASCII, any byte but
 * \n is a character. \s is [\t\n\f\r ] for RE2, and takes in \v with FLAG_PYTHON_SPACE (Python's
 * `re` and event_times.py's rewritten patterns). `^` is the line's start and `$` its end (a line
 * as given: with its newline for the minute counts, a head without it for events).
 *
 * Built by the package build (hatch_build.py) into _time_keys.so and loaded with ctypes
 * (time_keys.py); without it the engine runs the RE2 patterns, with the same results.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* TIME_KEYS_ABI, TIME_KEYS_FAMILIES and `enum family`, written by the build from the one
 * declaration in time_keys.py (ABI, Family). A family declared there and not handled in
 * find_time below fails the build (-Werror=switch). */
#include "time_keys_interface.h"

int time_keys_abi(void) { return TIME_KEYS_ABI; }

const char *time_keys_families(void) { return TIME_KEYS_FAMILIES; }

#define FLAG_PYTHON_SPACE 1 /* \s takes in \v */
#define FLAG_ASCII_ONLY 2   /* a line with a byte above 0x7f is UNSURE (its characters are not bytes) */

/* slot_of_line values besides an index into the distinct keys. */
#define NO_TIME (-1)
#define UNSURE (-2)

/* A distinct key's minute where Python must parse it (`utc_minute`). */
#define ASK INT64_MIN

/* A packed key: year (or two-digit year) << 44 | month << 37 | day << 30 | hour << 23 |
 * minute << 16 | zone, where zone is 0 (none written) or 1 << 15 | negative << 14 | hh << 7 | mm.
 * The epoch family's key is the minute itself (epoch seconds). timestamps.py's
 * `TimeReader.minutes_of_packed` unpacks them. */
#define ZONE_WRITTEN (1 << 15)
#define ZONE_NEGATIVE (1 << 14)
#define ZONE_UTC ZONE_WRITTEN

typedef struct {
    const uint8_t *s;
    int64_t n;
    int flags;
} Line;

typedef struct {
    int64_t year, month, day, hour, minute, second;
    int64_t zone;
    int64_t micros; /* the fraction's first six digits, as microseconds */
    /* the epoch family */
    uint64_t whole;
    int64_t epoch_digits;
} Found;

/* Byte classes by table, for the tests a scan makes at every start position. */
#define C_SPACE 1     /* [\t\n\f\r ] */
#define C_EPOCH 2     /* where the epoch pattern may start past the line's first byte: " or \s */
#define C_MONTH 4     /* a month name's first letter */
#define C_DATE_SEP 8  /* [-/] */
#define C_KEY 16      /* [t@]: an epoch key's first byte */
static const uint8_t CLASS[256] = {
    ['\t'] = C_SPACE | C_EPOCH, ['\n'] = C_SPACE | C_EPOCH, ['\f'] = C_SPACE | C_EPOCH,
    ['\r'] = C_SPACE | C_EPOCH, [' '] = C_SPACE | C_EPOCH, ['\v'] = C_EPOCH, ['"'] = C_EPOCH,
    ['J'] = C_MONTH, ['F'] = C_MONTH, ['M'] = C_MONTH, ['A'] = C_MONTH, ['S'] = C_MONTH,
    ['O'] = C_MONTH, ['N'] = C_MONTH, ['D'] = C_MONTH, ['-'] = C_DATE_SEP, ['/'] = C_DATE_SEP,
    ['t'] = C_KEY, ['@'] = C_KEY,
};

/* The candidate starts of each unanchored family: a tight loop over the line's bytes (locals
 * only, so no store makes the compiler reload the line's bounds), 16 starts at a time with SSE2
 * where a wide test rules out most of them, then each start's own test. Each returns the first
 * p in [p, last] that may start a match (its test holds), or last + 1. `last` leaves room for
 * every byte a test reads. */
#if defined(__SSE2__)
static inline __m128i at(const uint8_t *s) { return _mm_loadu_si128((const __m128i *)s); }
static inline __m128i eq(__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); }
/* Bytes in [low, low + span]. */
static inline __m128i within(__m128i v, char low, char span) {
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8(low));
    return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(span)), d);
}
#define WIDE(p, last, mask_expr, test)                                   \
    for (; p + 15 <= last; p += 16) {                                    \
        for (int mask = _mm_movemask_epi8(mask_expr); mask; mask &= mask - 1) { \
            int64_t c = p + __builtin_ctz(mask);                         \
            if (test(s, c)) return c;                                    \
        }                                                                \
    }
#else
#define WIDE(p, last, mask_expr, test)
#endif
#define NARROW(p, last, test) \
    while (p <= last && !test(s, p)) p++; \
    return p;

static inline int iso_start(const uint8_t *s, int64_t p) {
    return CLASS[s[p + 4]] & CLASS[s[p + 7]] & C_DATE_SEP;
}
static inline int64_t next_iso(const uint8_t *s, int64_t p, int64_t last) {
    WIDE(p, last,
         _mm_and_si128(_mm_or_si128(eq(at(s + p + 4), '-'), eq(at(s + p + 4), '/')),
                       _mm_or_si128(eq(at(s + p + 7), '-'), eq(at(s + p + 7), '/'))),
         iso_start)
    NARROW(p, last, iso_start)
}

static inline int ctime_start(const uint8_t *s, int64_t p) {
    return (s[p + 3] == ' ') & (s[p + 7] == ' ') & (CLASS[s[p + 4]] >> 2 & 1);
}
static inline int64_t next_ctime(const uint8_t *s, int64_t p, int64_t last) {
    WIDE(p, last, _mm_and_si128(eq(at(s + p + 3), ' '), eq(at(s + p + 7), ' ')), ctime_start)
    NARROW(p, last, ctime_start)
}

static inline int redis_start(const uint8_t *s, int64_t p) {
    return ((uint8_t)(s[p] - '0') < 10) & ((s[p + 1] == ' ') | (s[p + 2] == ' '));
}
static inline int64_t next_redis(const uint8_t *s, int64_t p, int64_t last) {
    WIDE(p, last,
         _mm_and_si128(within(at(s + p), '0', 9),
                       _mm_or_si128(eq(at(s + p + 1), ' '), eq(at(s + p + 2), ' '))),
         redis_start)
    NARROW(p, last, redis_start)
}

static inline int syslog_start(const uint8_t *s, int64_t p) {
    return (s[p + 3] == ' ') & (CLASS[s[p]] >> 2 & 1);
}
static inline int64_t next_syslog(const uint8_t *s, int64_t p, int64_t last) {
    WIDE(p, last, _mm_and_si128(eq(at(s + p + 3), ' '), within(at(s + p), 'A', 25)), syslog_start)
    NARROW(p, last, syslog_start)
}

/* A quote or a space with an epoch key's first byte after it. */
static inline int epoch_start(const uint8_t *s, int64_t p) {
    return (CLASS[s[p]] & C_EPOCH) && (CLASS[s[p + 1]] & C_KEY);
}
static inline int64_t next_epoch(const uint8_t *s, int64_t p, int64_t last) {
    WIDE(p, last, _mm_or_si128(eq(at(s + p + 1), 't'), eq(at(s + p + 1), '@')), epoch_start)
    NARROW(p, last, epoch_start)
}

static inline int is_digit(uint8_t c) { return (uint8_t)(c - '0') < 10; }

static inline int is_space(const Line *l, uint8_t c) {
    return (CLASS[c] & C_SPACE) || (c == '\v' && (l->flags & FLAG_PYTHON_SPACE));
}

/* Whether l[i, i + k) are all digits (and within the line). */
static inline int digits_at(const Line *l, int64_t i, int64_t k) {
    if (i < 0 || i + k > l->n) return 0;
    for (int64_t j = 0; j < k; j++)
        if (!is_digit(l->s[i + j])) return 0;
    return 1;
}

static inline int64_t number(const Line *l, int64_t i, int64_t k) {
    int64_t v = 0;
    for (int64_t j = 0; j < k; j++) v = v * 10 + (l->s[i + j] - '0');
    return v;
}

static inline int byte_is(const Line *l, int64_t i, uint8_t c) { return i < l->n && l->s[i] == c; }

static inline int bytes_are(const Line *l, int64_t i, const char *word, int64_t k) {
    return i + k <= l->n && memcmp(l->s + i, word, (size_t)k) == 0;
}

/* How many digits run from i (at most `most`). */
static inline int64_t digit_run(const Line *l, int64_t i, int64_t most) {
    int64_t k = 0;
    while (k < most && i + k < l->n && is_digit(l->s[i + k])) k++;
    return k;
}

/* The fraction's digits l[i, i + k) as microseconds: the first six, padded with zeros. */
static int64_t micros_of(const Line *l, int64_t i, int64_t k) {
    int64_t v = 0, j = 0;
    for (; j < k && j < 6; j++) v = v * 10 + (l->s[i + j] - '0');
    for (; j < 6; j++) v *= 10;
    return v;
}

static const char MONTHS[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
static const char DAYS[] = "MonTueWedThuFriSatSun";

/* (?P<b>Jan|...|Dec) at i: the month's number, or 0. The first letter rules out most bytes. */
static int64_t month_at(const Line *l, int64_t i) {
    if (i + 3 > l->n) return 0;
    const uint8_t *s = l->s + i;
    int64_t from, to;
    switch (s[0]) {
    case 'J': from = 0, to = 6; break; /* Jan, Jun, Jul */
    case 'F': from = 1, to = 1; break;
    case 'M': from = 2, to = 4; break; /* Mar, May */
    case 'A': from = 3, to = 7; break; /* Apr, Aug */
    case 'S': from = 8, to = 8; break;
    case 'O': from = 9, to = 9; break;
    case 'N': from = 10, to = 10; break;
    case 'D': from = 11, to = 11; break;
    default: return 0;
    }
    for (int64_t m = from; m <= to; m++)
        if (s[1] == MONTHS[3 * m + 1] && s[2] == MONTHS[3 * m + 2] && s[0] == MONTHS[3 * m])
            return m + 1;
    return 0;
}

static int day_name_at(const Line *l, int64_t i) {
    if (i + 3 > l->n) return 0;
    uint8_t c = l->s[i];
    if (c != 'M' && c != 'T' && c != 'W' && c != 'F' && c != 'S') return 0;
    for (int d = 0; d < 7; d++)
        if (memcmp(l->s + i, DAYS + 3 * d, 3) == 0) return 1;
    return 0;
}

/* (?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d) at i. */
static int hms_at(const Line *l, int64_t i, Found *f) {
    if (!(digits_at(l, i, 2) && byte_is(l, i + 2, ':') && digits_at(l, i + 3, 2) &&
          byte_is(l, i + 5, ':') && digits_at(l, i + 6, 2)))
        return 0;
    f->hour = number(l, i, 2);
    f->minute = number(l, i + 3, 2);
    f->second = number(l, i + 6, 2);
    return 1;
}

/* (?P<d>\d{1,2}) followed by a space at i: the day's end (at the space), or -1. Two digits are
 * tried first; with one, the next byte must be the space, so at most one way fits. */
static int64_t day_then_space(const Line *l, int64_t i) {
    if (digits_at(l, i, 2) && byte_is(l, i + 2, ' ')) return i + 2;
    if (digits_at(l, i, 1) && byte_is(l, i + 1, ' ')) return i + 1;
    return -1;
}

/* What follows a fraction in each family, tried at i: the end of the match there, or -1. */
typedef int64_t (*Rest)(const Line *l, int64_t i, Found *f);

/* (?:[.,](?P<f>\d{1,9}))? then `rest`, at i: a fraction of as many digits as run (up to nine)
 * first, then fewer, then none; the end of the match, or -1. */
static int64_t fraction_then(const Line *l, int64_t i, Found *f, Rest rest) {
    if (i < l->n && (l->s[i] == '.' || l->s[i] == ',')) {
        for (int64_t k = digit_run(l, i + 1, 9); k >= 1; k--) {
            int64_t end = rest(l, i + 1 + k, f);
            if (end >= 0) {
                f->micros = micros_of(l, i + 1, k);
                return end;
            }
        }
    }
    f->micros = 0;
    return rest(l, i, f);
}

/* (?:[^\d:]|$) at i. */
static inline int64_t not_digit_after(const Line *l, int64_t i) {
    if (i == l->n) return i;
    return (!is_digit(l->s[i]) && l->s[i] != ':') ? i + 1 : -1;
}

/* [+-]\d\d:?\d\d at i then (?:[^\d:]|$): the end, or -1; the zone into f. */
static int64_t offset_then_end(const Line *l, int64_t i, Found *f) {
    if (!(i < l->n && (l->s[i] == '+' || l->s[i] == '-') && digits_at(l, i + 1, 2))) return -1;
    int64_t zone = ZONE_WRITTEN | (l->s[i] == '-' ? ZONE_NEGATIVE : 0) | number(l, i + 1, 2) << 7;
    int64_t end;
    if (byte_is(l, i + 3, ':') && digits_at(l, i + 4, 2) && (end = not_digit_after(l, i + 6)) >= 0) {
        f->zone = zone | number(l, i + 4, 2);
        return end;
    }
    if (digits_at(l, i + 3, 2) && (end = not_digit_after(l, i + 5)) >= 0) {
        f->zone = zone | number(l, i + 3, 2);
        return end;
    }
    return -1;
}

/* (?P<z>Z|[+-]\d\d:?\d\d| UTC| GMT| Z| [+-]\d\d:?\d\d)?(?:[^\d:]|$) at i, alternatives in order. */
static int64_t iso_zone_then_end(const Line *l, int64_t i, Found *f) {
    int64_t end;
    if (byte_is(l, i, 'Z') && (end = not_digit_after(l, i + 1)) >= 0) {
        f->zone = ZONE_UTC;
        return end;
    }
    if ((end = offset_then_end(l, i, f)) >= 0) return end;
    if ((bytes_are(l, i, " UTC", 4) || bytes_are(l, i, " GMT", 4)) &&
        (end = not_digit_after(l, i + 4)) >= 0) {
        f->zone = ZONE_UTC;
        return end;
    }
    if (bytes_are(l, i, " Z", 2) && (end = not_digit_after(l, i + 2)) >= 0) {
        f->zone = ZONE_UTC;
        return end;
    }
    if (byte_is(l, i, ' ') && (end = offset_then_end(l, i + 1, f)) >= 0) return end;
    f->zone = 0;
    return not_digit_after(l, i);
}

/* iso: (?:^|[^\d])Y[-/]m[-/]d[T ]HMS fraction zone (?:[^\d:]|$). The year starts at the line's
 * start or after a non-digit; the leftmost such start that matches is RE2's. */
static int iso(const Line *l, Found *f) {
    const uint8_t *s = l->s;
    const int64_t last = l->n - 19;
    for (int64_t q = 0; (q = next_iso(s, q, last)) <= last; q++) {
        if (q > 0 && is_digit(s[q - 1])) continue;
        if (!(digits_at(l, q, 4) && digits_at(l, q + 5, 2) && digits_at(l, q + 8, 2) &&
              (s[q + 10] == 'T' || s[q + 10] == ' ') && hms_at(l, q + 11, f)))
            continue;
        if (fraction_then(l, q + 19, f, iso_zone_then_end) < 0) continue;
        f->year = number(l, q, 4);
        f->month = number(l, q + 5, 2);
        f->day = number(l, q + 8, 2);
        return 1;
    }
    return 0;
}

/* ' (?P<Y>\d{4})' after ctime's fraction. */
static int64_t space_year(const Line *l, int64_t i, Found *f) {
    if (!(byte_is(l, i, ' ') && digits_at(l, i + 1, 4))) return -1;
    f->year = number(l, i + 1, 4);
    return i + 5;
}

/* ctime: (?:Mon|...|Sun) (?P<b>Jan|...) +(?P<d>\d{1,2}) HMS fraction (?P<Y>\d{4}). */
static int ctime(const Line *l, Found *f) {
    const int64_t last = l->n - 8;
    for (int64_t p = 0; (p = next_ctime(l->s, p, last)) <= last; p++) {
        if (!day_name_at(l, p)) continue;
        int64_t month = month_at(l, p + 4);
        if (!month || !byte_is(l, p + 7, ' ')) continue;
        int64_t j = p + 8;
        while (byte_is(l, j, ' ')) j++;
        int64_t day_end = day_then_space(l, j);
        if (day_end < 0 || !hms_at(l, day_end + 1, f)) continue;
        if (fraction_then(l, day_end + 9, f, space_year) < 0) continue;
        f->month = month;
        f->day = number(l, j, day_end - j);
        f->zone = 0;
        return 1;
    }
    return 0;
}

/* access: \[(?P<d>\d\d)/(?P<b>Jan|...)/(?P<Y>\d{4}):HMS(?P<z> [+-]\d{4})?\] */
static int access(const Line *l, Found *f) {
    const uint8_t *s = l->s;
    for (int64_t p = 0; p + 22 <= l->n; p++) {
        const uint8_t *open = memchr(s + p, '[', (size_t)(l->n - 22 - p + 1));
        if (!open) break;
        p = open - s;
        if (s[p + 3] != '/' || s[p + 7] != '/' || s[p + 12] != ':') continue;
        int64_t month = month_at(l, p + 4);
        if (!(month && digits_at(l, p + 1, 2) && digits_at(l, p + 8, 4) && hms_at(l, p + 13, f)))
            continue;
        int64_t i = p + 21;
        if (byte_is(l, i, ' ') && i + 1 < l->n && (s[i + 1] == '+' || s[i + 1] == '-') &&
            digits_at(l, i + 2, 4) && byte_is(l, i + 6, ']')) {
            f->zone = ZONE_WRITTEN | (s[i + 1] == '-' ? ZONE_NEGATIVE : 0) |
                      number(l, i + 2, 2) << 7 | number(l, i + 4, 2);
        } else if (byte_is(l, i, ']')) {
            f->zone = 0;
        } else {
            continue;
        }
        f->year = number(l, p + 8, 4);
        f->month = month;
        f->day = number(l, p + 1, 2);
        f->micros = 0;
        return 1;
    }
    return 0;
}

static int64_t nothing(const Line *l, int64_t i, Found *f) {
    (void)l, (void)f;
    return i;
}

/* redis: (?P<d>\d{1,2}) (?P<b>Jan|...) (?P<Y>\d{4}) HMS fraction */
static int redis(const Line *l, Found *f) {
    const int64_t last = l->n - 19;
    for (int64_t p = 0; (p = next_redis(l->s, p, last)) <= last; p++) {
        int64_t day_end = day_then_space(l, p);
        if (day_end < 0) continue;
        int64_t month = month_at(l, day_end + 1);
        int64_t y = day_end + 5;
        if (!(month && byte_is(l, y - 1, ' ') && digits_at(l, y, 4) && byte_is(l, y + 4, ' ') &&
              hms_at(l, y + 5, f)))
            continue;
        fraction_then(l, y + 13, f, nothing);
        f->year = number(l, y, 4);
        f->month = month;
        f->day = number(l, p, day_end - p);
        f->zone = 0;
        return 1;
    }
    return 0;
}

/* (?P<e>\d{10}|\d{13}|\d{16}|\d{19})(?:\.(?P<f>\d{1,9}))?(?:[^\d]|$) at i. Each length is
 * followed by a non-digit or the end, so only a run of exactly that many digits fits; a fraction
 * of one to nine digits is taken where a non-digit or the end follows it. */
static int epoch_number_at(const Line *l, int64_t i, Found *f) {
    int64_t run = digit_run(l, i, 20);
    if (run != 10 && run != 13 && run != 16 && run != 19) return 0;
    uint64_t whole = 0;
    for (int64_t j = 0; j < run; j++) whole = whole * 10 + (uint64_t)(l->s[i + j] - '0');
    f->whole = whole;
    f->epoch_digits = run;
    f->micros = 0;
    int64_t dot = i + run;
    if (byte_is(l, dot, '.')) {
        int64_t k = digit_run(l, dot + 1, 10);
        if (k >= 1 && k <= 9) f->micros = micros_of(l, dot + 1, k);
    }
    return 1;
}

/* "(?:time|ts|@timestamp|timestamp|t)" at i (its quotes included): the end, or -1. */
static int64_t quoted_epoch_key(const Line *l, int64_t i) {
    static const char *const names[] = {"time", "ts", "@timestamp", "timestamp", "t"};
    if (!(byte_is(l, i, '"') && (byte_is(l, i + 1, 't') || byte_is(l, i + 1, '@')))) return -1;
    for (int k = 0; k < 5; k++) {
        int64_t len = (int64_t)strlen(names[k]);
        if (bytes_are(l, i + 1, names[k], len) && byte_is(l, i + 1 + len, '"')) return i + 2 + len;
    }
    return -1;
}

/* (?:ts|time|timestamp)= at i: the end, or -1. */
static int64_t logfmt_epoch_key(const Line *l, int64_t i) {
    static const char *const names[] = {"ts", "time", "timestamp"};
    if (!byte_is(l, i, 't')) return -1;
    for (int k = 0; k < 3; k++) {
        int64_t len = (int64_t)strlen(names[k]);
        if (bytes_are(l, i, names[k], len) && byte_is(l, i + len, '=')) return i + len + 1;
    }
    return -1;
}

/* epoch: (?:"(?:time|...)"\s*:\s*"?|(?:^|\s)(?:ts|time|timestamp)=) then the number. */
static int epoch(const Line *l, Found *f) {
    const int64_t last = l->n - 2; /* a start past the first byte has a key's byte after it */
    for (int64_t p = 0; p < l->n || p == 0; p++) {
        if (p > 0 && (p = next_epoch(l->s, p, last)) > last) break;
        int64_t j = quoted_epoch_key(l, p);
        if (j >= 0) {
            while (j < l->n && is_space(l, l->s[j])) j++;
            if (byte_is(l, j, ':')) {
                j++;
                while (j < l->n && is_space(l, l->s[j])) j++;
                if (byte_is(l, j, '"')) j++;
                if (epoch_number_at(l, j, f)) return 1;
            }
        }
        if (p == 0 && (j = logfmt_epoch_key(l, 0)) >= 0 && epoch_number_at(l, j, f)) return 1;
        if (p < l->n && is_space(l, l->s[p]) && (j = logfmt_epoch_key(l, p + 1)) >= 0 &&
            epoch_number_at(l, j, f))
            return 1;
    }
    return 0;
}

/* hdfs: ^(?P<y>\d\d)(?P<m>\d\d)(?P<d>\d\d) (?P<H>\d\d)(?P<M>\d\d)(?P<S>\d\d)  */
static int hdfs(const Line *l, Found *f) {
    if (!(digits_at(l, 0, 6) && byte_is(l, 6, ' ') && digits_at(l, 7, 6) && byte_is(l, 13, ' ')))
        return 0;
    f->year = number(l, 0, 2);
    f->month = number(l, 2, 2);
    f->day = number(l, 4, 2);
    f->hour = number(l, 7, 2);
    f->minute = number(l, 9, 2);
    f->second = number(l, 11, 2);
    f->zone = 0;
    f->micros = 0;
    return 1;
}

static int64_t space(const Line *l, int64_t i, Found *f) {
    (void)f;
    return byte_is(l, i, ' ') ? i + 1 : -1;
}

static int64_t any_space(const Line *l, int64_t i, Found *f) {
    (void)f;
    return i < l->n && is_space(l, l->s[i]) ? i + 1 : -1;
}

/* syslog: (?P<b>Jan|...) +(?P<d>\d{1,2}) HMS fraction ' ' */
static int syslog(const Line *l, Found *f) {
    const int64_t last = l->n - 15;
    for (int64_t p = 0; (p = next_syslog(l->s, p, last)) <= last; p++) {
        int64_t month = month_at(l, p);
        if (!month) continue;
        int64_t j = p + 4;
        while (byte_is(l, j, ' ')) j++;
        int64_t day_end = day_then_space(l, j);
        if (day_end < 0 || !hms_at(l, day_end + 1, f)) continue;
        if (fraction_then(l, day_end + 9, f, space) < 0) continue;
        f->month = month;
        f->day = number(l, j, day_end - j);
        f->zone = 0;
        return 1;
    }
    return 0;
}

/* klog: ^[IWEF](?P<m>\d\d)(?P<d>\d\d) HMS fraction ' ' */
static int klog(const Line *l, Found *f) {
    if (!(l->n > 0 && (l->s[0] == 'I' || l->s[0] == 'W' || l->s[0] == 'E' || l->s[0] == 'F') &&
          digits_at(l, 1, 4) && byte_is(l, 5, ' ') && hms_at(l, 6, f) &&
          fraction_then(l, 14, f, space) >= 0))
        return 0;
    f->month = number(l, 1, 2);
    f->day = number(l, 3, 2);
    f->zone = 0;
    return 1;
}

/* logcat: ^(?P<m>\d\d)-(?P<d>\d\d) HMS fraction \s */
static int logcat(const Line *l, Found *f) {
    if (!(digits_at(l, 0, 2) && byte_is(l, 2, '-') && digits_at(l, 3, 2) && byte_is(l, 5, ' ') &&
          hms_at(l, 6, f) && fraction_then(l, 14, f, any_space) >= 0))
        return 0;
    f->month = number(l, 0, 2);
    f->day = number(l, 3, 2);
    f->zone = 0;
    return 1;
}

/* The family's first match in l, into f: 1, or 0 where it has none. */
static int find_time(enum family family, const Line *l, Found *f) {
    switch (family) {
    case ISO: return iso(l, f);
    case CTIME: return ctime(l, f);
    case ACCESS: return access(l, f);
    case REDIS: return redis(l, f);
    case EPOCH: return epoch(l, f);
    case HDFS: return hdfs(l, f);
    case SYSLOG: return syslog(l, f);
    case KLOG: return klog(l, f);
    case LOGCAT: return logcat(l, f);
    }
    return 0;
}

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t year_of_era = y - era * 400;
    int64_t day_of_year = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/* The minute of a match with a year, in epoch seconds, as timestamps.py's `_minute_at` gives it
 * with a written zone or in UTC: -1 where Python's `datetime` refuses the date or time (month 13,
 * Feb 29 of a common year, hour 24); ASK where Python must decide (no year written; a year at
 * the ends of `datetime`'s range, which an offset may leave). */
static int64_t utc_minute(enum family family, const Found *f) {
    static const int64_t month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t year = 0;
    switch (family) {
    case ISO: case CTIME: case ACCESS: case REDIS: year = f->year; break;
    case HDFS: year = 2000 + f->year; break;
    case EPOCH: case SYSLOG: case KLOG: case LOGCAT: return ASK;
    }
    if (year < 2 || year > 9998) return ASK;
    if (f->month < 1 || f->month > 12 || f->day < 1 || f->hour > 23 || f->minute > 59) return -1;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (f->day > month_days[f->month - 1] + (f->month == 2 && leap)) return -1;
    int64_t t = days_from_civil(year, f->month, f->day) * 86400 + f->hour * 3600 + f->minute * 60;
    if (f->zone & ZONE_WRITTEN) {
        int64_t offset = (f->zone >> 7 & 127) * 3600 + (f->zone & 127) * 60;
        t += f->zone & ZONE_NEGATIVE ? offset : -offset;
    }
    return t;
}

static int64_t packed(const Found *f) {
    return f->year << 44 | f->month << 37 | f->day << 30 | f->hour << 23 | f->minute << 16 |
           f->zone;
}

/* The distinct keys of a call, by open addressing (a key is stored plus one: 0 is a free slot). */
typedef struct {
    int64_t *keys;
    int32_t *slots;
    int64_t mask;
    int64_t count;
} Table;

static inline uint64_t spread(int64_t key) { return (uint64_t)key * 0x9E3779B97F4A7C15ull; }

static int grow(Table *t) {
    int64_t size = (t->mask + 1) * 2;
    int64_t *keys = calloc((size_t)size, sizeof *keys);
    int32_t *slots = malloc((size_t)size * sizeof *slots);
    if (!keys || !slots) {
        free(keys), free(slots);
        return 0;
    }
    for (int64_t i = 0; t->keys && i <= t->mask; i++) {
        if (!t->keys[i]) continue;
        uint64_t h = spread(t->keys[i] - 1) >> 20;
        while (keys[h & (size - 1)]) h++;
        keys[h & (size - 1)] = t->keys[i];
        slots[h & (size - 1)] = t->slots[i];
    }
    free(t->keys), free(t->slots);
    t->keys = keys, t->slots = slots, t->mask = size - 1;
    return 1;
}

/* The slot of `key` among the distinct keys (added to `distinct` when new), or -1 (no memory). */
static int64_t slot_of(Table *t, int64_t key, int64_t *distinct) {
    uint64_t h = spread(key) >> 20;
    for (;; h++) {
        int64_t at = (int64_t)(h & (uint64_t)t->mask);
        if (t->keys[at] == key + 1) return t->slots[at];
        if (!t->keys[at]) {
            if ((t->count + 1) * 2 > t->mask + 1) {
                if (!grow(t)) return -1;
                return slot_of(t, key, distinct);
            }
            t->keys[at] = key + 1;
            t->slots[at] = (int32_t)t->count;
            distinct[t->count] = key;
            return t->count++;
        }
    }
}

/* In how many of the lines data[starts[i], stops[i]) each family finds a time: into
 * hits[family], for every family declared. */
void time_hits(int flags, const uint8_t *data, const int64_t *starts, const int64_t *stops,
               int64_t n, int64_t *hits) {
    for (int family = 0; family < TIME_KEYS_COUNT; family++) {
        hits[family] = 0;
        for (int64_t i = 0; i < n; i++) {
            Line l = {data + starts[i], stops[i] - starts[i], flags};
            Found f = {0};
            hits[family] += find_time((enum family)family, &l, &f);
        }
    }
}

/*
 * The time of each line data[starts[i], stops[i]) in `family`: slot_of_line[i] is NO_TIME, UNSURE
 * (FLAG_ASCII_ONLY and a byte above 0x7f) or an index into `distinct` (room for n keys), the
 * lines' distinct packed keys, and into `minutes` (room for n), each key's minute as `utc_minute`
 * gives it (the epoch family's: the key). `within` (may be NULL): per line, the second and
 * fraction as microseconds into its minute, or, for the epoch family, the time itself as
 * microseconds since the epoch. Returns the number of distinct keys, or -1 when out of memory.
 */
int64_t time_keys(int family, int flags, const uint8_t *data, const int64_t *starts,
                  const int64_t *stops, int64_t n, int32_t *slot_of_line, int64_t *distinct,
                  int64_t *minutes, int64_t *within) {
    Table table = {NULL, NULL, 63, 0};
    if (!grow(&table)) return -1;
    int64_t last_key = -1, last_slot = -1;
    for (int64_t i = 0; i < n; i++) {
        Line l = {data + starts[i], stops[i] - starts[i], flags};
        if (flags & FLAG_ASCII_ONLY) {
            int64_t j = 0;
            while (j < l.n && l.s[j] < 0x80) j++;
            if (j < l.n) {
                slot_of_line[i] = UNSURE;
                continue;
            }
        }
        Found f = {0};
        if (!find_time((enum family)family, &l, &f)) {
            slot_of_line[i] = NO_TIME;
            continue;
        }
        int64_t key, micros;
        if (family == EPOCH) {
            static const uint64_t scale[] = {1, 1000, 1000000, 1000000000};
            int64_t shift = (f.epoch_digits - 10) / 3;
            int64_t seconds = (int64_t)(f.whole / scale[shift]);
            key = seconds - seconds % 60;
            micros = shift <= 2 ? (int64_t)(f.whole * scale[2 - shift]) + (shift ? 0 : f.micros)
                                : (int64_t)(f.whole / 1000);
        } else {
            key = packed(&f);
            micros = f.second * 1000000 + f.micros;
        }
        if (within) within[i] = micros;
        if (key != last_key) {
            int64_t known = table.count;
            last_slot = slot_of(&table, key, distinct);
            if (last_slot < 0) {
                free(table.keys), free(table.slots);
                return -1;
            }
            if (table.count > known) /* a new key */
                minutes[last_slot] = family == EPOCH ? key : utc_minute((enum family)family, &f);
            last_key = key;
        }
        slot_of_line[i] = (int32_t)last_slot;
    }
    free(table.keys), free(table.slots);
    return table.count;
}
