"""The part of ``dqlite.h`` (libdqlite 1.11) that we call, as cffi declarations.

Kept in step with the real header by ``native/abi_check.py`` (run by the tests),
which compiles these declarations against the installed ``dqlite.h``.
"""

CDEF = """
typedef struct dqlite_node dqlite_node;
typedef unsigned long long dqlite_node_id;

struct dqlite_node_info_ext {
    uint64_t size;
    uint64_t id;
    uint64_t address;
    uint64_t dqlite_role;
};
typedef struct dqlite_node_info_ext dqlite_node_info_ext;

int dqlite_version_number(void);
int dqlite_node_create(dqlite_node_id id, const char *address,
                       const char *data_dir, dqlite_node **n);
void dqlite_node_destroy(dqlite_node *n);
int dqlite_node_set_bind_address(dqlite_node *n, const char *address);
const char *dqlite_node_get_bind_address(dqlite_node *n);
int dqlite_node_set_connect_func(dqlite_node *n,
                                 int (*f)(void *arg, const char *address, int *fd),
                                 void *arg);
int dqlite_node_set_network_latency_ms(dqlite_node *n, unsigned milliseconds);
int dqlite_node_set_failure_domain(dqlite_node *n, unsigned long long code);
int dqlite_node_set_snapshot_params(dqlite_node *n, unsigned snapshot_threshold,
                                    unsigned snapshot_trailing);
int dqlite_node_start(dqlite_node *n);
int dqlite_node_stop(dqlite_node *n);
int dqlite_node_recover_ext(dqlite_node *n, dqlite_node_info_ext infos[], int n_info);
const char *dqlite_node_errmsg(dqlite_node *n);
dqlite_node_id dqlite_generate_node_id(const char *address);
"""
