# Here-documents: expanded and quoted delimiters, <<- tab stripping, here-
# documents into pipelines, loops and functions, two in one command, and
# one larger than a pipe holds.
export TZ=UTC0
cd "${TMPDIR:-/tmp}" && mkdir "heredoc.$$" && cd "heredoc.$$" || exit 99

name=world
echo "expanded:"
cat <<EOF
hello $name
sum $((2 + 3))
cmd $(echo substituted)
escaped \$name and \\ backslash
EOF
echo "quoted delimiter, nothing expanded:"
cat <<'EOF'
hello $name
sum $((2 + 3)) `echo not run`
EOF
echo "<<- strips leading tabs:"
cat <<-EOF
	tab-indented $name
		two tabs
	EOF
echo "into a pipeline:"
cat <<EOF | sort | tr a-z A-Z
pear
apple
fig
EOF
echo "into a loop:"
while read a b; do
	echo "$b-$a"
done <<EOF
1 one
2 two
EOF
echo "into a function and a file:"
f() { wc -l; }
f <<EOF
a
b
c
EOF
cat > file <<EOF
written by a here-document
EOF
cat file
echo "two here-documents on fds 0 and 3:"
while read x <&3 && read y; do echo "$x $y"; done 3<<A <<B
a1
a2
A
b1
b2
B
echo "a big here-document (330 KiB):"
big=$(seq 1 30000 | tr '\n' ' ')
cat <<EOF | md5sum
$big
$big
EOF
echo "empty here-document:"
cat <<EOF | wc -c
EOF
echo done
