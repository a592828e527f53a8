/*
 * The first half of ./kvmstor's up-to-date check, started before the .NET runtime is (issue 15: the wrapper may add
 * at most 1 ms). The runtime's own start-up takes longer than the four hundred-odd stats of the check, so a thread
 * started from this constructor has usually finished by the time Main asks (EarlySourceCheck.cs); started from Main,
 * the same stats delayed the first output. Linked into the NativeAOT binary only (KvmStor.Cli.csproj).
 *
 * It can only say "current": every line of out/kvmstor.sources understood and stated, and no input's ctime later than
 * the list's mtime. Anything else (a changed file or directory, a list it cannot read, a line it does not know) is
 * "undecided", and SourceTreeFreshness.cs, which owns the rule, checks again and decides.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { UNDECIDED = 0, CURRENT = 1 };
/* The list is read into memory of the program's own: a malloc on the new thread would make a new arena (an mmap and
   an mprotect), taking the lock the runtime's page faults and mappings need while it starts beside. A longer list
   (this one is 18 KiB) is left to the C# check. */
enum { MAXIMUM_LIST_LENGTH = 256 << 10 };
static char list_text[MAXIMUM_LIST_LENGTH];
static char tree_path[PATH_MAX];

static const char tree_variable[] = "KVMSTOR_SOURCE_TREE";
static const char list_path[] = "out/kvmstor.sources";
static const char list_header[] = "# suffixes ";

static pthread_t check_thread;
static int check_started;
static int check_answer = UNDECIDED;

static int later(struct statx_timestamp changed, struct timespec built)
{
    return changed.tv_sec > built.tv_sec || (changed.tv_sec == built.tv_sec && changed.tv_nsec > built.tv_nsec);
}

/* Whether every input the list names is unchanged since the list was written; the list is modified in place. */
static int all_unchanged(int tree, char *list, size_t length, struct timespec built)
{
    char *end = list + length, *line = memchr(list, '\n', length);
    size_t header = sizeof list_header - 1;
    if (line == NULL || length < header || memcmp(list, list_header, header) != 0) return 0;
    int inputs = 0;
    for (line++; line < end; inputs++) {
        char *newline = memchr(line, '\n', (size_t)(end - line));
        if (newline == NULL) return 0; /* the list always ends with a newline; one that does not was cut short */
        *newline = '\0';
        if (newline - line < 3 || line[1] != ' ' || (line[0] != 'f' && line[0] != 'd' && line[0] != 't')) return 0;
        struct statx status;
        if (statx(tree, line + 2, 0, STATX_CTIME, &status) != 0 || !(status.stx_mask & STATX_CTIME)) return 0;
        if (later(status.stx_ctime, built)) return 0;
        line = newline + 1;
    }
    return inputs > 0;
}

static void *check(void *unused)
{
    (void)unused;
    int tree = open(tree_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (tree < 0) return NULL;
    int list = openat(tree, list_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat status;
    if (list >= 0 && fstat(list, &status) == 0 && S_ISREG(status.st_mode) && status.st_size > 0 &&
        status.st_size <= MAXIMUM_LIST_LENGTH && pread(list, list_text, (size_t)status.st_size, 0) == status.st_size &&
        all_unchanged(tree, list_text, (size_t)status.st_size, status.st_mtim))
        check_answer = CURRENT;
    if (list >= 0) close(list);
    close(tree);
    return NULL;
}

__attribute__((constructor)) static void start_check(void)
{
    const char *root = getenv(tree_variable);
    size_t length = root == NULL ? 0 : strlen(root);
    if (length == 0 || length >= sizeof tree_path) return;
    memcpy(tree_path, root, length + 1);
    /* The runtime registers for membarrier(2) as it starts. Registered by a process that has a second thread, that
       waits for an RCU grace period (14 ms measured here); registered now, while there is one thread, it returns at
       once, and the runtime's own registration later finds it done. */
    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
    /* The thread blocks every signal, so that none meant for the process is handled on a thread the runtime does not know. */
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &before);
    if (pthread_create(&check_thread, NULL, check, NULL) == 0) check_started = 1;
    pthread_sigmask(SIG_SETMASK, &before, NULL);
}

/* 1 when the constructor started a check, 0 otherwise (no tree named, or no thread). */
int kvmstor_early_source_check_started(void)
{
    return check_started;
}

/* Waits for the check the constructor started: 1 when every input is unchanged, 0 when that is not certain. */
int kvmstor_early_source_check_wait(void)
{
    if (!check_started) return UNDECIDED;
    pthread_join(check_thread, NULL);
    check_started = 0;
    return check_answer;
}
