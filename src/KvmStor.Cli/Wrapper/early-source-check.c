/*
 * The first half of ./kvmstor's up-to-date check, started before the .NET runtime is (issue 15: the wrapper may add
 * at most 1 ms). The runtime's own start-up (about 4 ms) takes longer than the four hundred-odd stats of the check
 * (about 1 ms), so a thread started from this constructor on another CPU has usually finished by the time Main asks
 * (EarlySourceCheck.cs). Linked into the NativeAOT binary only (KvmStor.Cli.csproj).
 *
 * It can only say "current": every line of out/kvmstor.sources understood and stated, and no file's ctime later than
 * the list's mtime; with the directories whose ctime is later, whose entries SourceTreeFreshness.cs, which owns the
 * rule, then compares with the list. Anything else (a changed file, a list it cannot read, a line it does not know)
 * is "undecided", and the C# check runs again and decides.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The list is read into memory of the program's own: a malloc on the check's thread would make a new arena (an mmap
   and an mprotect) beside the runtime's start-up. A longer list (this one is 18 KiB, 447 lines) is left to the C# check. */
enum { MAXIMUM_LIST_LENGTH = 256 << 10, MAXIMUM_INPUTS = 8192, LINES_PER_CLAIM = 8 };

static const char tree_variable[] = "KVMSTOR_SOURCE_TREE";
static const char list_path[] = "out/kvmstor.sources";
static const char list_header[] = "# suffixes ";

/* The list is read, and the inputs are then claimed a few at a time, by the check's thread and, once Main asks, by the
   thread that asks. The asking thread never waits for the check's thread, which may have lost its CPU (a busy machine,
   a real-time task on the other CPU): it states what is unclaimed, then again what is claimed but not yet done, and
   if it finds the list still being read, it leaves the whole check to the C# one. */
enum { LIST_UNREAD, LIST_READING, LIST_READ, LIST_UNUSABLE };
enum { MAXIMUM_CLAIMS = (MAXIMUM_INPUTS + LINES_PER_CLAIM - 1) / LINES_PER_CLAIM };
/* A directory whose ctime is later than the list's (an entry added or removed: an editor's swap file will do) is not
   a change unless its inputs changed, which the C# rule decides by reading it; up to this many are noted for it. */
enum { MAXIMUM_MOVED_DIRECTORIES = 32 };

/* The check's memory is on whole pages of its own, each first touched by a write: a page the runtime shares, or one
   read before it is written, makes that write a copy-on-write whose TLB flush must interrupt the other thread's CPU
   (an inter-processor interrupt, dear in a VM: the check's cost to a run fell from 0.28 to 0.15 ms with this). The
   constructor writes this part before the thread exists; the thread writes the list and its index before anything
   reads them. */
struct __attribute__((aligned(4096))) check_state {
    char tree_path[PATH_MAX];   /* empty unless the constructor took it out of the environment */
    int tree;                   /* the tree's directory, once the list is being read */
    int check_started;
    int started_elsewhere;      /* the thread was started on a CPU other than the constructor's */
    cpu_set_t process_cpus;     /* the CPUs this process may use (taskset), given back to the thread once it runs */
    pthread_t check_thread;
    atomic_bool check_ran;      /* the check's thread has run (and so may run on any CPU) */
    atomic_int list_state;
    atomic_int next_claim;
    atomic_int changed;         /* a file changed, an input could not be stated, or a line is not understood */
    atomic_int moved_count;
    atomic_int moved[MAXIMUM_MOVED_DIRECTORIES]; /* 1 + the index of each directory whose ctime is later */
    atomic_bool claim_done[MAXIMUM_CLAIMS];
    int input_count;
    struct timespec built;      /* the list's mtime */
};
static struct check_state state;
static char list_text[MAXIMUM_LIST_LENGTH] __attribute__((aligned(4096)));
/* Each "f path", "d path" or "t path", NUL-terminated in list_text. */
static const char *inputs[MAXIMUM_INPUTS] __attribute__((aligned(4096)));

static int later(struct statx_timestamp time, struct timespec than)
{
    return time.tv_sec > than.tv_sec || (time.tv_sec == than.tv_sec && time.tv_nsec > than.tv_nsec);
}

/* Reads and splits the list; 0 when it cannot be read or is not understood (the C# check decides then). */
static int read_list(void)
{
    state.tree = open(state.tree_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (state.tree < 0) return 0;
    int list = openat(state.tree, list_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (list < 0) return 0;
    struct stat status;
    ssize_t length = -1;
    int readable = fstat(list, &status) == 0 && S_ISREG(status.st_mode) && status.st_size > 0 &&
                   status.st_size <= MAXIMUM_LIST_LENGTH;
    if (readable) length = pread(list, list_text, (size_t)status.st_size, 0);
    close(list);
    if (!readable || length != status.st_size) return 0;
    state.built = status.st_mtim;

    char *end = list_text + length, *line = memchr(list_text, '\n', (size_t)length);
    size_t header = sizeof list_header - 1;
    if (line == NULL || (size_t)length < header || memcmp(list_text, list_header, header) != 0) return 0;
    for (line++; line < end; line++) {
        char *newline = memchr(line, '\n', (size_t)(end - line));
        if (newline == NULL || state.input_count == MAXIMUM_INPUTS) return 0; /* a list always ends with a newline */
        *newline = '\0';
        if (newline - line < 3 || line[1] != ' ' || (line[0] != 'f' && line[0] != 'd' && line[0] != 't')) return 0;
        inputs[state.input_count++] = line;
        line = newline;
    }
    return state.input_count > 0;
}

/* Reads the list unless another thread did or does: whether it is read and can be used (not when still being read). */
static int list_read(void)
{
    int unread = LIST_UNREAD;
    if (atomic_compare_exchange_strong(&state.list_state, &unread, LIST_READING)) {
        int usable = read_list();
        if (!usable && state.tree >= 0) close(state.tree);
        atomic_store(&state.list_state, usable ? LIST_READ : LIST_UNUSABLE);
    }
    return atomic_load(&state.list_state) == LIST_READ;
}

/* An input whose ctime is later than the list's: a file has changed; a directory is noted for the C# rule. */
static void note_later(int input)
{
    int slot;
    if (inputs[input][0] == 'f' || (slot = atomic_fetch_add(&state.moved_count, 1)) >= MAXIMUM_MOVED_DIRECTORIES)
        atomic_store(&state.changed, 1);
    else
        atomic_store(&state.moved[slot], input + 1);
}

static void state_claim(int claim)
{
    int first = claim * LINES_PER_CLAIM;
    int last = first + LINES_PER_CLAIM < state.input_count ? first + LINES_PER_CLAIM : state.input_count;
    for (int i = first; i < last && !atomic_load(&state.changed); i++) {
        struct statx status;
        if (statx(state.tree, inputs[i] + 2, 0, STATX_CTIME, &status) != 0 || !(status.stx_mask & STATX_CTIME))
            atomic_store(&state.changed, 1);
        else if (later(status.stx_ctime, state.built))
            note_later(i);
    }
    atomic_store(&state.claim_done[claim], 1);
}

/* States inputs a claim at a time until none is left unclaimed or one has changed. */
static void state_unclaimed_inputs(void)
{
    int claims = (state.input_count + LINES_PER_CLAIM - 1) / LINES_PER_CLAIM;
    for (int claim; !atomic_load(&state.changed) && (claim = atomic_fetch_add(&state.next_claim, 1)) < claims;)
        state_claim(claim);
}

static void *check(void *unused)
{
    (void)unused;
    /* Started away from the CPU the runtime starts on (see below); from now on it may move to any the process may use. */
    if (state.started_elsewhere) sched_setaffinity(0, sizeof state.process_cpus, &state.process_cpus);
    atomic_store(&state.check_ran, 1);
    if (list_read()) state_unclaimed_inputs();
    /* Parked until the process ends (with every signal blocked, pause() never returns), so that its pthread_t stays
       valid for the asking thread, which frees it to run on any CPU (see there). */
    for (;;) pause();
    return NULL;
}

__attribute__((constructor)) static void start_check(void)
{
    const char *root = getenv(tree_variable);
    size_t length = root == NULL ? 0 : strlen(root);
    if (length == 0 || length >= sizeof state.tree_path) return;
    memcpy(state.tree_path, root, length + 1);
    /* Not passed on to the programs kvmstor runs. Taken out here, while this is the only thread, so that C# need not
       change its environment (a first change copies all of it): it asks kvmstor_early_source_tree instead. */
    unsetenv(tree_variable);

    /* The runtime registers for membarrier(2) as it starts. Registered by a process that has a second thread, that
       waits for an RCU grace period (14 ms measured here); registered now, while there is one thread, it returns at
       once, and the runtime's own registration later finds it done. */
    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);

    /* Left to itself the scheduler often starts the new thread on this CPU, where it takes turns with the runtime's
       start-up instead of running beside it: it is started on any other CPU this process may use. */
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0) return;
    pthread_attr_setstacksize(&attributes, 64 << 10); /* a statx buffer and a few pointers: no need for 8 MiB */
    int here = sched_getcpu();
    if (here >= 0 && sched_getaffinity(0, sizeof state.process_cpus, &state.process_cpus) == 0 &&
        CPU_ISSET(here, &state.process_cpus) && CPU_COUNT(&state.process_cpus) > 1) {
        cpu_set_t others = state.process_cpus;
        CPU_CLR(here, &others);
        state.started_elsewhere = pthread_attr_setaffinity_np(&attributes, sizeof others, &others) == 0;
    }
    /* The thread blocks every signal, so that none meant for the process is handled on a thread the runtime does not know. */
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &before);
    if (pthread_create(&state.check_thread, &attributes, check, NULL) == 0) {
        pthread_detach(state.check_thread);
        state.check_started = 1;
    }
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    pthread_attr_destroy(&attributes);
}

/* The tree the wrapper named, which the constructor took out of the environment; NULL when it named none. */
const char *kvmstor_early_source_tree(void)
{
    return state.tree_path[0] != '\0' ? state.tree_path : NULL;
}

/* Finishes the check the constructor started on this thread, without waiting for the check's own: -1 when it is not
   certain that every file is unchanged, otherwise how many directories moved (0: every input is unchanged), which
   kvmstor_early_moved_directory names. */
int kvmstor_early_source_check_wait(void)
{
    if (!state.check_started) return -1;
    /* A thread that has not yet run is still held off this CPU. If the others are taken (a busy machine, or a real-time
       task: 0.9 s measured), it could not run before the process ends, and the process's end waits for every thread:
       from now on it may run here too. */
    if (state.started_elsewhere && !atomic_load(&state.check_ran))
        pthread_setaffinity_np(state.check_thread, sizeof state.process_cpus, &state.process_cpus);
    if (!list_read()) return -1;
    state_unclaimed_inputs();
    int claims = (state.input_count + LINES_PER_CLAIM - 1) / LINES_PER_CLAIM;
    for (int claim = 0; claim < claims && !atomic_load(&state.changed); claim++)
        if (!atomic_load(&state.claim_done[claim])) /* claimed by the check's thread, not yet done */
            state_claim(claim);
    if (atomic_load(&state.changed)) return -1;
    int moved = atomic_load(&state.moved_count);
    return moved < MAXIMUM_MOVED_DIRECTORIES ? moved : MAXIMUM_MOVED_DIRECTORIES;
}

/* The list's line ("d path" or "t path") of the k-th directory that moved, or NULL (not noted yet: a claim both threads
   stated may count one twice, and the slower may not have written it). */
const char *kvmstor_early_moved_directory(int k)
{
    if (k < 0 || k >= MAXIMUM_MOVED_DIRECTORIES) return NULL;
    int input = atomic_load(&state.moved[k]);
    return input > 0 ? inputs[input - 1] : NULL;
}
