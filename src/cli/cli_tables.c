/* Help texts and name lists generated from the library's tables. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli_tables.h"

/* Enough for any list of names or line of help this file builds. */
#define CLI_TEXT_MAX CLI_NAMES_MAX
/* Where the summaries of the solver and schedule sections start. */
#define SOLVER_COLUMN 15
#define SCHEDULE_COLUMN 16
/* Where the options' texts of CLI_GRID_HELP start. */
#define GRID_COLUMN 23
/* Where the summaries of /metrics in analyze --help start. */
#define METRIC_COLUMN 32

/* Columns of the first len bytes of UTF-8 text: combining marks
 * (U+0300–U+036F, lead bytes 0xCC and 0xCD) take none. */
static size_t columns(const char *s, size_t len)
{
    size_t cols = 0;
    for (size_t k = 0; k < len; k++) {
        const unsigned char c = (unsigned char)s[k];
        cols += (c & 0xC0) != 0x80 && c != 0xCC && c != 0xCD;
    }
    return cols;
}

void cli_help_item(const char *left, size_t column, const char *text)
{
    size_t col = columns(left, strlen(left));
    fputs(left, stdout);
    if (col >= column) {
        putchar('\n');
        col = 0;
    }
    bool line_start = true;
    for (const char *p = text; *p;) {
        const size_t len = strcspn(p, " "), width = columns(p, len);
        if (!line_start && col + 1 + width > CLI_HELP_COLUMNS) {
            putchar('\n');
            col = 0;
            line_start = true;
        }
        if (line_start) {
            col += (size_t)printf("%*s", (int)(column - col), "");
            line_start = false;
        } else {
            putchar(' ');
            col++;
        }
        fwrite(p, 1, len, stdout);
        col += width;
        p += len;
        while (*p == ' ')
            p++;
    }
    putchar('\n');
}

/* The name of entry k of a table, NULL past its end. */
typedef const char *(*name_at)(size_t k);

static const char *solver_name(size_t k)
{
    return dg_solver_types[k] ? dg_solver_types[k]->name : NULL;
}

static const char *schedule_name(size_t k)
{
    return dg_schedule_types[k] ? dg_schedule_types[k]->name : NULL;
}

static const char *cost_name(size_t k)
{
    return k < DG_GITS_COSTS ? dg_gits_cost_name((dg_gits_cost)k) : NULL;
}

/* The names of a table joined by ", ", def first with " (default)"; returns out. */
static const char *join_names(char *out, size_t size, name_at name, const char *def)
{
    size_t len = 0;
    if (size)
        out[0] = '\0';
    if (def) {
        const int used = snprintf(out, size, "%s (default)", def);
        len = used > 0 ? (size_t)used : 0;
    }
    for (size_t k = 0; name(k); k++) {
        if (def && strcmp(name(k), def) == 0)
            continue;
        const int used = snprintf(out + (len < size ? len : size), len < size ? size - len : 0,
                                  "%s%s", len ? ", " : "", name(k));
        len += used > 0 ? (size_t)used : 0;
    }
    return out;
}

const char *cli_solver_names(char *out, size_t size, const dg_solver_type *def)
{
    return join_names(out, size, solver_name, def ? def->name : NULL);
}

const char *cli_schedule_names(char *out, size_t size, const dg_schedule_type *def)
{
    return join_names(out, size, schedule_name, def ? def->name : NULL);
}

const char *cli_cost_names(char *out, size_t size)
{
    return join_names(out, size, cost_name, NULL);
}

/* "the edm and time-uniform grids [7, 1]": the schedules that use ρ, and their defaults. */
static void rho_text(char *out, size_t size)
{
    char names[CLI_TEXT_MAX] = "", defaults[CLI_TEXT_MAX] = "";
    size_t count = 0, total = 0;
    for (size_t k = 0; dg_schedule_types[k]; k++)
        total += dg_schedule_types[k]->default_rho > 0;
    for (size_t k = 0; dg_schedule_types[k]; k++) {
        const dg_schedule_type *s = dg_schedule_types[k];
        if (!(s->default_rho > 0))
            continue;
        const char *sep = count == 0 ? "" : count + 1 == total ? " and " : ", ";
        const size_t nl = strlen(names), dl = strlen(defaults);
        snprintf(names + nl, sizeof names - nl, "%s%s", sep, s->name);
        snprintf(defaults + dl, sizeof defaults - dl, "%s%g", count ? ", " : "", s->default_rho);
        count++;
    }
    snprintf(out, size, "ρ of the %s grid%s [%s]", names, count == 1 ? "" : "s", defaults);
}

void cli_grid_help(void)
{
    char names[CLI_TEXT_MAX], text[2 * CLI_TEXT_MAX];
    cli_schedule_names(names, sizeof names, dg_schedule_types[0]);
    snprintf(text, sizeof text,
             "σ grid: %s, or an explicit grid list:80,10.98,…,0.002 or h5:FILE[:/sigmas] (e.g. "
             "from 'diffgeo gits')",
             names);
    cli_help_item("      --schedule NAME", GRID_COLUMN, text);
    printf("      --steps N        timestamps from σ_max to σ_min, N − 1 steps [18]\n"
           "      --sigma-max S    largest noise level, where sampling starts [80]\n"
           "      --sigma-min S    smallest noise level of the grid [0.002]\n");
    rho_text(text, sizeof text);
    cli_help_item("      --rho R", GRID_COLUMN, text);
    printf("      --final-zero     append σ = 0, reached by an Euler step (EDM and\n"
           "                       k-diffusion convention); default: stop at σ_min\n");
}

void cli_help_solvers(void)
{
    char left[CLI_TEXT_MAX];
    for (size_t k = 0; dg_solver_types[k]; k++) {
        const dg_solver_type *s = dg_solver_types[k];
        snprintf(left, sizeof left, "  %-9s %u", s->name, 1 + s->extra_evals);
        cli_help_item(left, SOLVER_COLUMN, s->summary);
    }
}

void cli_help_schedules(void)
{
    char left[CLI_TEXT_MAX];
    for (size_t k = 0; dg_schedule_types[k]; k++) {
        snprintf(left, sizeof left, "  %s", dg_schedule_types[k]->name);
        cli_help_item(left, SCHEDULE_COLUMN, dg_schedule_types[k]->summary);
    }
}

void cli_help_metrics(void)
{
    char left[CLI_TEXT_MAX], shape[CLI_TEXT_MAX / 4];
    for (const dg_metric_info *m = dg_metric_infos; m->name; m++) {
        dg_metric_shape_text(m, shape, sizeof shape);
        snprintf(left, sizeof left, "%c %-19s %s", m->reference ? 'R' : ' ', m->name, shape);
        cli_help_item(left, METRIC_COLUMN, m->summary);
    }
}
