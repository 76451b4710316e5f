/* placeholder: keeps the module library non-empty */
typedef int ar__exec_placeholder;
