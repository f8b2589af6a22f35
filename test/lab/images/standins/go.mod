module lab.local/standins

go 1.19
