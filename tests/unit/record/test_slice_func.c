/* Tests for slice_func: which shown Python frames --slice FUNC names. */
#include <criterion/criterion.h>

#include "slice_func.h"

Test(slice_func, a_bare_name_matches_its_function_qualified_or_not)
{
	cr_expect(slice_func__matches("do_GET", "Handler.do_GET (server.py:12)", 1));
	cr_expect(slice_func__matches("do_GET", "do_GET (server.py:12)", 0));
	cr_expect(!slice_func__matches("do_GET", "Handler.do_GETX (server.py:12)", 1));
	cr_expect(!slice_func__matches("GET", "Handler.do_GET (server.py:12)", 1), "only at a dot");
	cr_expect(!slice_func__matches("do_GET", "do_GET_[k]", 1), "not a Python frame");
}

Test(slice_func, a_class_qualified_name_needs_the_class_from_3_11)
{
	cr_expect(slice_func__matches("Handler.do_GET", "Handler.do_GET (server.py:12)", 1));
	cr_expect(!slice_func__matches("Handler.do_GET", "Other.do_GET (server.py:12)", 1));
	cr_expect(slice_func__matches("Handler.do_GET", "do_GET (server.py:12)", 0), "before 3.11: co_name alone");
	cr_expect(!slice_func__matches("Handler.do_GET", "do_GET (server.py:12)", 1));
}

Test(slice_func, a_module_qualifier_is_the_file_module)
{
	cr_expect(slice_func__matches("views.checkout", "checkout (views.py:3)", 1));
	cr_expect(slice_func__matches("views.checkout", "checkout (app/views.py:3)", 1));
	cr_expect(slice_func__matches("app.views.checkout", "checkout (app/views.py:3)", 1));
	cr_expect(!slice_func__matches("views.checkout", "checkout (models.py:3)", 1));
	cr_expect(slice_func__matches("app.Cart.checkout", "Cart.checkout (app/__init__.py:9)", 1), "a package");
}

Test(slice_func, a_file_in_parentheses_names_the_file)
{
	cr_expect(slice_func__matches("checkout (views.py)", "checkout (app/views.py:3)", 1));
	cr_expect(slice_func__matches("checkout (app/views.py)", "Cart.checkout (app/views.py:3)", 1));
	cr_expect(!slice_func__matches("checkout (views.py)", "checkout (models.py:3)", 1));
	cr_expect(!slice_func__matches("checkout (iews.py)", "checkout (views.py:3)", 1), "only at a slash");
}

Test(slice_func, markers_and_odd_names_never_match)
{
	cr_expect(!slice_func__matches("do_GET", "[unknown]", 1));
	cr_expect(!slice_func__matches("do_GET", "do_GET", 1));
	cr_expect(slice_func__matches("<lambda>", "f.<locals>.<lambda> (x.py:1)", 1));
}
