// libfdt (Debian libfdt-dev): the reader of flattened device trees from dtc.
#include <libfdt.h>
