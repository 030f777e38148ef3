/* The shared-library half of the stacks fixture: an allocating function in
 * a position-independent module loaded where the dynamic loader chooses. */
#include "stacks_fixture.h"

__attribute__((noinline)) void alloc_activations(fixture_rec *r, int64_t bytes, fixture_alloc_fn alloc)
{
    alloc(r, bytes, ACTIVATIONS_PY, __func__, __FILE__, __LINE__);
}
