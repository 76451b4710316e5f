/* src/dl/dl.c - dlopen a library by soname and resolve a table of functions
 * (include/arena/dl.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include "arena/dl.h"

static int dl_open(const char *soname, const char *const *names, void **fns, size_t n, char *err, size_t errn) {
    const char *why = NULL;
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        why = dlerror();
    } else {
        for (size_t i = 0; i < n && why == NULL; i++) {
            (void)dlerror();
            if ((fns[i] = dlsym(h, names[i])) == NULL) {
                why = dlerror();
                if (why == NULL) why = names[i];
            }
        }
        if (why == NULL) return 0;
    }
    /* dlerror() starts with the name we asked for when the file was not
     * found or not loadable: say it once */
    size_t sl = strlen(soname);
    if (why == NULL) why = "unknown error";
    else if (strncmp(why, soname, sl) == 0 && strncmp(why + sl, ": ", 2) == 0) why += sl + 2;
    snprintf(err, errn, "%s cannot be loaded: %s", soname, why);
    memset(fns, 0, n * sizeof *fns);
    if (h != NULL) dlclose(h);
    return -1;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

int ar_dl_up(ar_dl_lib *l) {
    int st = atomic_load(&l->state);
    if (st == 0) {
        pthread_mutex_lock(&mu);
        if ((st = atomic_load(&l->state)) == 0) {
            st = dl_open(l->soname, l->names, l->fns, l->n, l->err, sizeof l->err) == 0 ? 1 : -1;
            atomic_store(&l->state, st); /* after fns: a thread that sees 1 sees them too */
        }
        pthread_mutex_unlock(&mu);
    }
    return st > 0;
}

ar_err ar_dl_load(ar_dl_lib *l, ar_errbuf *eb) {
    if (ar_dl_up(l)) return AR_OK;
    return ar_errf(eb, AR_EIO, "%s", l->err);
}
