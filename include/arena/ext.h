/* include/arena/ext.h - external agents: the observation as JSON, and agents
 * that are a program (exec: JSON lines on stdin/stdout) or a URL (http: the
 * observation POSTed, the answer is the response body).
 *
 * The answer of an external agent is the same action list an LLM answers
 * (docs/LLM.md "Answers"); it is returned as text in an ar_llm_call and
 * parsed by ar_answer_parse, so external agents are validated, recorded and
 * counted exactly like LLM agents. docs/LLM.md "exec and http agents" and
 * strategies/examples/README.md describe the protocol.
 *
 * Threading: an agent is driven by one thread at a time (ar_ext_ask_all is
 * not reentrant for the same agent). Nothing global is changed: SIGPIPE is
 * blocked only in the calling thread and only around each write to a child,
 * and a pending SIGPIPE caused by that write is consumed before unblocking.
 * The wall clock (CLOCK_MONOTONIC) is read only for deadlines and latency. */
#ifndef ARENA_EXT_H
#define ARENA_EXT_H

#include <stddef.h>
#include "arena/agent.h"
#include "arena/err.h"
#include "arena/llm.h"

/* The observation o as one compact JSON document (no newline, keys sorted,
 * reals at 17 significant digits, NaN/inf as null) appended to out. Reads
 * only bars [0, nvis) and funding with time <= o->t; indicators are the
 * prompt's (same windows, same cadence sampling). p may be NULL (see
 * ar_prompt_opts for the defaults); p->hide_dates drops "t". The schema is
 * in docs/LLM.md "exec and http agents". AR_EINVAL for a NULL o, market,
 * nvis or out; AR_ENOMEM. On error out is left as it was. */
ar_err ar_obs_json(const ar_obs *o, const ar_prompt_opts *p, ar_buf *out);

/* Longest answer line / body accepted (bytes, newline excluded). */
#define AR_EXT_MAX_ANSWER AR_ANSWER_MAX_BYTES
/* Timeouts are clamped to [0.001, AR_EXT_MAX_TIMEOUT_S] seconds. */
#define AR_EXT_MAX_TIMEOUT_S 3600.0

typedef struct ar_ext_agent ar_ext_agent;

/* An exec agent running argv (NULL-terminated; argv[0] is looked up in PATH
 * as execvp does; everything is copied). The program is started lazily at
 * the first ask, in its own process group, with stdin/stdout on pipes and
 * stderr inherited, SIGPIPE at its default and no signals blocked. timeout_s
 * (per ask, start-up included) must be finite and > 0. NULL with eb set on
 * a bad argument or ENOMEM. */
ar_ext_agent *ar_ext_exec_create(const char *const *argv, double timeout_s, ar_errbuf *eb);

/* An http agent POSTing to url (http:// or https://, copied). NULL with eb
 * set on a bad argument, curl_global_init failure or ENOMEM. */
ar_ext_agent *ar_ext_http_create(const char *url, double timeout_s, ar_errbuf *eb);

/* Exec: closes the child's stdin, gives it 100 ms to exit, then SIGKILLs its
 * process group and reaps it. NULL: no-op. */
void ar_ext_agent_free(ar_ext_agent *a);

/* pid of the running exec child, 0 when none (not started, or stopped after
 * a failure; http agents: always 0). For tests and diagnostics. */
long ar_ext_agent_pid(const ar_ext_agent *a);

/* Ask n agents at once: agents[i] gets obs[i] (one line of text; for exec
 * agents a newline is appended). Exec writes go out first, then every
 * stdout and every HTTP transfer is waited on together, so a round costs
 * the slowest agent, not the sum. out[0..n) are overwritten (not freed
 * first; release each with ar_llm_call_cleanup) like an LLM call:
 *   status 0, reason none, text = the answer line (without "\n", a trailing
 *     "\r" dropped) or the 2xx body; http_status = 200.. for http;
 *   status 1 and reason: timeout (no full line / response by the deadline),
 *     too_long (more than AR_EXT_MAX_ANSWER bytes), agent_error (cannot
 *     start, exited, crashed, closed stdout, the observation has a newline,
 *     the same agent twice in one call), http_error (connection failure or
 *     a non-2xx status, in http_status; the body is kept in text).
 *   error: one line saying what happened (NULL when ok);
 *   latency_ms = total_ms = ask to answer; attempts = nlog = 1.
 * An exec agent that failed (anything but an answer, or an answer after
 * which it closed its stdin/stdout) is killed and reaped at once and
 * started afresh at its next ask. A NULL agents[i] or obs[i] is recorded
 * in out[i] as agent_error. Returns AR_EINVAL for NULL arrays (n > 0);
 * AR_ENOMEM and AR_EIO (curl multi failure) leave every out[i] filled
 * (status 1) and safe to clean up. */
ar_err ar_ext_ask_all(ar_ext_agent *const *agents, const char *const *obs, size_t n, ar_llm_call *out);

#endif
