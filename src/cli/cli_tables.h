/*
 * The tool's texts generated from the library's tables: lists of solver,
 * schedule and cost names for help and messages, and help sections of
 * solvers, schedules and /metrics, so that no list is typed twice.
 */
#ifndef DG_CLI_TABLES_H
#define DG_CLI_TABLES_H

#include <stddef.h>

#include "diffgeo.h"

/* Help text is wrapped to this many columns. */
#define CLI_HELP_COLUMNS 80
/* Where the texts of options start in the commands' help. */
#define CLI_OPTION_COLUMN 25
/* Room for any list of names; a line of help around one needs twice that. */
#define CLI_NAMES_MAX 1024

/*
 * Prints left, then text from column `column` (0-based; a new line first
 * when left reaches it), wrapped at CLI_HELP_COLUMNS with the next lines
 * indented to `column`.  Columns count characters of UTF-8, not bytes.
 */
void cli_help_item(const char *left, size_t column, const char *text);

/*
 * The names of a table joined by ", " in out (size bytes, always
 * terminated, cut short if need be); returns out.  With def, def comes first,
 * marked " (default)"; without, the table's order.
 */
const char *cli_solver_names(char *out, size_t size, const dg_solver_type *def);
const char *cli_schedule_names(char *out, size_t size, const dg_schedule_type *def);
const char *cli_cost_names(char *out, size_t size);

/* The grid options of sample and schedule (--schedule, --steps, ...). */
void cli_grid_help(void);

/* One entry per solver (name, evaluations per step on steps that do not end
 * in σ = 0, summary) and per schedule (name, summary). */
void cli_help_solvers(void);
void cli_help_schedules(void);

/* One entry per array of dg_metric_infos: R (reference) name, shape, summary. */
void cli_help_metrics(void);

#endif /* DG_CLI_TABLES_H */
