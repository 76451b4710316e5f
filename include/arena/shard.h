/* include/arena/shard.h - a run split into shards: episodes run apart (MPI
 * ranks, `arena run --episodes`, a rerun with --resume) and merged into the
 * one run file a single process would have written, byte for byte.
 *
 * A shard file (`RUN.h5.shard-<rank>`) is an ordinary run file (readable by
 * ar_run_h5_read, `arena table`, h5py) holding only some episodes of a run,
 * in episode order. Its manifest attribute carries one more key, "shard":
 *   {"episodes": [k, ...], "prompts": [n_k, ...], "of": N}
 * - the run's episode index of each stored episode, how many prompt texts of
 * /prompts belong to it (each episode's own prompt table in first-use order,
 * laid end to end, so the merge can rebuild the run's table exactly as the
 * engine does), and the number of episodes of the whole run. Every finished
 * episode is written at once into a piece file `RUN.h5.shard-<rank>.<k>` (a
 * shard of that one episode; temporary name, then rename), so a process that
 * dies loses only the episodes it was playing; when the process has played
 * its share, ar_shard_finish writes `RUN.h5.shard-<rank>` with all of them
 * and removes its pieces. Pieces count as shards everywhere below.
 *
 * Merging takes the episodes in episode order (the first shard that has an
 * episode wins), merges the per-episode prompt tables in that order, drops
 * the "shard" key from the manifest and checks that every shard comes from
 * the same run (config, manifest, header). Not thread-safe except where
 * stated: writing uses HDF5. */
#ifndef ARENA_SHARD_H
#define ARENA_SHARD_H

#include <stddef.h>
#include "arena/config.h"
#include "arena/engine.h"
#include "arena/run.h"

#define AR_SHARD_SUFFIX ".shard-"

typedef struct ar_shard ar_shard;

/* A writer for the shard file at path of a run of `total` episodes. When
 * keep is set and path exists, its episodes are kept (and rewritten with
 * the new ones); otherwise an existing file is removed now. */
ar_err ar_shard_open(const char *path, size_t total, int keep, ar_shard **out, ar_errbuf *eb);
/* An ar_episode_fn (ctx = the ar_shard): add the finished episode and
 * write its piece file. The engine serialises the calls. */
ar_err ar_shard_add(void *shard, const ar_run *run, size_t index, const ar_run_episode *ep, char *const *prompts,
                    size_t nprompts, ar_errbuf *eb);
/* Write the shard file with every held episode, then remove the pieces
 * written since the last call (no-op when none were). */
ar_err ar_shard_finish(ar_shard *s, ar_errbuf *eb);
size_t ar_shard_count(const ar_shard *s); /* episodes held */
void ar_shard_free(ar_shard *s);          /* NULL: no-op; the file stays */

/* "<out_path>.shard-<rank>" into buf. */
void ar_shard_path(const char *out_path, int rank, char *buf, size_t size);

/* The shard and piece files of out_path ("<out_path>.shard-<rank>" and
 * "<out_path>.shard-<rank>.<episode>", temporary files excluded), sorted by
 * rank, the shard file before its pieces: a new array of *n new strings. */
ar_err ar_shard_find(const char *out_path, char ***paths, size_t *n, ar_errbuf *eb);
void ar_shard_paths_free(char **paths, size_t n);

/* Mark done[k] = 1 for every episode k stored in the shards. Each must be a
 * shard of a run of `total` episodes with exactly config_json and, when
 * data_sha256 is not NULL, that data hash (else AR_ECONFIG naming the file). */
ar_err ar_shard_done(char *const *paths, size_t n, const char *config_json, const char *data_sha256,
                     unsigned char *done, size_t total, ar_errbuf *eb);

/* Merge shard files into the whole run, written as out_path (temporary
 * name, renamed when complete) without holding the run in memory: the
 * shards are read lean, each agent's curve is copied into the file block
 * by block and its logs through a spill file next to out_path. The file is
 * byte for byte the one a single process running every episode writes.
 * *out is the merged run with its curves and logs left in out_path (eqsrc
 * open on it), for a league. When episodes are missing, returns
 * AR_ENOTFOUND with *missing set (and eb naming the first), writes nothing
 * and *out stays NULL. Shards of different runs: AR_EFORMAT naming both
 * files. */
ar_err ar_shard_merge_write(char *const *paths, size_t n, const char *out_path, ar_run **out, size_t *missing,
                            ar_errbuf *eb);

/* Parse an episode list "0-3,7,9-11" over n episodes into sel[0..n) (set to
 * 1, never cleared). AR_EINVAL with a message for bad syntax or an index
 * >= n. */
ar_err ar_shard_parse_list(const char *s, size_t n, unsigned char *sel, ar_errbuf *eb);

/* Share the episodes with todo[k] != 0 among `parts` processes: greedy
 * longest processing time first on the expected cost (ties: lower episode
 * index first, then the least loaded part with the lowest number), so every
 * process computes the same assignment. owner[k] = part, or -1 when not
 * todo. */
void ar_shard_assign(const ar_episode_info *eps, const unsigned char *todo, size_t n, int parts, int *owner);

/* LLM rate limits held across `parts` processes together: every llm
 * agent's rpm becomes rpm / parts and its max_concurrent max_concurrent /
 * parts (rounded down). A max_concurrent below parts cannot be split:
 * AR_ECONFIG naming the agent. parts <= 1: no change. */
ar_err ar_shard_split_limits(ar_config *cfg, int parts, ar_errbuf *eb);

#endif
