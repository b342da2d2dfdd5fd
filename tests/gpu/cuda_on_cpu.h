/* CUDA's execution model on host threads, so that nbgraph's generated kernels run (and are
   tested) on machines without a GPU. Included before a kernel module; compiled as C++14 with
   -pthread (the kernels are C++: extern "C", templates, overloads).

   One launch = one host thread per CUDA thread of the block. The blocks of the grid run one
   after another on those threads, with a barrier after each, so that __shared__ memory (a
   function-level static, one copy per kernel) is reused only once the whole block is done.
   __syncthreads() is a barrier over the block's threads. Launches are serialised by a mutex
   (the statics are shared). Like on a GPU, every thread of a block must reach the same
   barriers: a thread that returns early from a kernel that synchronises is undefined.

   Only what nbgraph's kernels use is mapped; anything else (a warp intrinsic, a CUDA-only
   math function) fails to compile, loudly, rather than running with other semantics. */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <utility>

struct dim3 {
    unsigned int x, y, z;
};
typedef dim3 uint3;

static thread_local uint3 threadIdx, blockIdx;
static thread_local dim3 blockDim, gridDim;
static thread_local pthread_barrier_t *nbg_block_barrier;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

static inline void __syncthreads(void) { pthread_barrier_wait(nbg_block_barrier); }

#define NBG_MAX_THREADS 1024   /* CUDA's limit on threads per block */

struct nbg_launch_state {
    void (*call)(void **args);
    void **args;
    dim3 grid, block;
    pthread_barrier_t barrier;
    pthread_mutex_t lock;
    pthread_cond_t started;
    int go;   /* 0 while threads are being created, then 1 (run) or -1 (creation failed) */
};

struct nbg_thread_arg {
    nbg_launch_state *launch;
    unsigned int tid;
};

static void *nbg_thread(void *p)
{
    const nbg_thread_arg *a = static_cast<nbg_thread_arg *>(p);
    nbg_launch_state *s = a->launch;
    pthread_mutex_lock(&s->lock);
    while (!s->go)
        pthread_cond_wait(&s->started, &s->lock);
    pthread_mutex_unlock(&s->lock);
    if (s->go < 0)
        return NULL;
    const dim3 b = s->block;
    threadIdx = {a->tid % b.x, a->tid / b.x % b.y, a->tid / (b.x * b.y)};
    blockDim = b;
    gridDim = s->grid;
    nbg_block_barrier = &s->barrier;
    for (unsigned int z = 0; z < gridDim.z; ++z)
        for (unsigned int y = 0; y < gridDim.y; ++y)
            for (unsigned int x = 0; x < gridDim.x; ++x) {
                blockIdx = {x, y, z};
                s->call(s->args);
                pthread_barrier_wait(&s->barrier);   /* the block is done with __shared__ */
            }
    return NULL;
}

static pthread_mutex_t nbg_launch_lock = PTHREAD_MUTEX_INITIALIZER;

/* 0, 1 for a configuration CUDA rejects, or pthread_create's error. */
static int nbg_launch(void (*call)(void **), const unsigned int *grid,
                      const unsigned int *block, void **args)
{
    const unsigned long long threads = (unsigned long long)block[0] * block[1] * block[2];
    if (!threads || threads > NBG_MAX_THREADS || !grid[0] || !grid[1] || !grid[2])
        return 1;   /* cudaErrorInvalidConfiguration */
    static nbg_launch_state s;   /* under nbg_launch_lock */
    static pthread_t ids[NBG_MAX_THREADS];
    static nbg_thread_arg targs[NBG_MAX_THREADS];
    pthread_mutex_lock(&nbg_launch_lock);
    s.call = call;
    s.args = args;
    s.grid = {grid[0], grid[1], grid[2]};
    s.block = {block[0], block[1], block[2]};
    s.go = 0;
    pthread_barrier_init(&s.barrier, NULL, (unsigned int)threads);
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.started, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 18);   /* kernels need little; 1024 threads exist */
    unsigned int n = 0;
    int err = 0;
    for (; n < threads && !err; n += !err) {
        targs[n] = {&s, n};
        err = pthread_create(&ids[n], &attr, nbg_thread, &targs[n]);
    }
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&s.lock);   /* all threads or none run: the barriers count them all */
    s.go = err ? -1 : 1;
    pthread_cond_broadcast(&s.started);
    pthread_mutex_unlock(&s.lock);
    for (unsigned int t = 0; t < n; ++t)
        pthread_join(ids[t], NULL);
    pthread_cond_destroy(&s.started);
    pthread_mutex_destroy(&s.lock);
    pthread_barrier_destroy(&s.barrier);
    pthread_mutex_unlock(&nbg_launch_lock);
    return err;
}

/* Calls a kernel with its arguments unpacked from cuLaunchKernel's convention: args[i]
   points at the value of parameter i. */
template <class... A, size_t... I>
static void nbg_unpack(void (*kernel)(A...), void **args, std::index_sequence<I...>)
{
    kernel(*static_cast<A *>(args[I])...);
}

template <class... A>
static void nbg_unpack(void (*kernel)(A...), void **args)
{
    nbg_unpack(kernel, args, std::index_sequence_for<A...>{});
}

/* NBG_KERNEL(name): the entry point ``int nbg_launch_<name>(grid[3], block[3], args)``. */
#define NBG_KERNEL(name)                                                                   \
    static void nbg_call_##name(void **args) { nbg_unpack(name, args); }                  \
    extern "C" int nbg_launch_##name(const unsigned int *grid, const unsigned int *block, \
                                     void **args)                                          \
    {                                                                                      \
        return nbg_launch(nbg_call_##name, grid, block, args);                             \
    }
