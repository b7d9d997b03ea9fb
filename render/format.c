/* format.c — numbers for people: thousands separators, compact axis labels, and the
 * "nice" tick steps (1, 2, 5 x 10^k) every chart axis uses. */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void herd_fmt_num(double v, char *out, size_t size)
{
    if (!isfinite(v)) {
        snprintf(out, size, "-");
        return;
    }
    if (fabs(v - nearbyint(v)) > 1e-9 || fabs(v) >= 1e15) {
        snprintf(out, size, fabs(v) >= 100 ? "%.1f" : "%.3g", v);
        return;
    }
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", fabs(v));
    size_t n = strlen(digits), o = 0;
    if (v < 0 && o + 1 < size) out[o++] = '-';
    for (size_t i = 0; i < n && o + 1 < size; i++) { /* n < 32 */
        out[o++] = digits[i];
        size_t left = n - i - 1;
        if (left > 0 && left % 3 == 0 && o + 1 < size) out[o++] = ',';
    }
    out[o] = '\0';
}

void herd_fmt_tick(double v, char *out, size_t size)
{
    static const struct { double div; const char *suffix; } units[] = {
        {1e9, "G"}, {1e6, "M"}, {1e3, "k"},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (fabs(v) >= units[i].div) {
            snprintf(out, size, "%g%s", v / units[i].div, units[i].suffix);
            return;
        }
    }
    snprintf(out, size, "%g", v);
}

double herd_nice_step(double max, int ticks)
{
    if (!(max > 0) || ticks < 1) return 1;
    double raw = max / ticks;
    double mag = pow(10, floor(log10(raw)));
    static const double steps[] = {1, 2, 2.5, 5, 10};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i] * mag >= raw) return steps[i] * mag;
    return 10 * mag;
}
