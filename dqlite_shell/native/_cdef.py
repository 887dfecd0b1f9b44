"""The part of ``dqlite.h`` that we call, as cffi declarations.

``CDEF`` is what libdqlite 1.11 has; ``OPTIONAL`` adds the node options of
later releases, each with the first release that has it. In ABI mode a
declared function is looked up only when first used, so declaring symbols
the loaded library lacks does not break loading 1.11 (``library.has`` tells
whether one is there).

Kept in step with the real headers by ``native/abi_check.py`` (run by the
tests against each server's ``dqlite.h``), which compiles these declarations
against a header, the optional ones where that header declares them.
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

#: symbol -> (first dqlite release that has it, its declaration), from
#: canonical/dqlite's history of include/dqlite.h (signatures as in 1.18.6).
OPTIONAL = {
    "dqlite_node_set_block_size": (
        "1.15.0", "int dqlite_node_set_block_size(dqlite_node *n, size_t size);"),
    "dqlite_node_set_auto_recovery": (
        "1.16.0", "int dqlite_node_set_auto_recovery(dqlite_node *n, bool enabled);"),
    "dqlite_node_set_snapshot_compression": (
        "1.16.2", "int dqlite_node_set_snapshot_compression(dqlite_node *n, bool enabled);"),
    "dqlite_node_describe_last_entry": (
        "1.17.0", "int dqlite_node_describe_last_entry(dqlite_node *n, "
                  "uint64_t *last_entry_index, uint64_t *last_entry_term);"),
    "dqlite_node_set_busy_timeout": (
        "1.18.2", "int dqlite_node_set_busy_timeout(dqlite_node *n, unsigned msecs);"),
}


def cdef(optional=OPTIONAL) -> str:
    """The declarations: ``CDEF`` plus those of ``optional`` (symbol names)."""
    return CDEF + "".join(OPTIONAL[name][1] + "\n" for name in optional)
