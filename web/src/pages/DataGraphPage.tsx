// The data graph: the tree of relationships from the profile, each entity with its table, key, columns and types;
// the graph file's text, validated against the warehouse with every problem at its line and column.
import { Alert, Badge, Button, Card, Code, Grid, Group, Loader, Stack, Table, Text, Textarea, Title, Tree, useTree, type TreeNodeData } from '@mantine/core';
import { IconAlertTriangle, IconChevronDown, IconChevronRight, IconCircleCheck, IconDatabase, IconUser } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError, call, type GraphRelationship } from '../api/client';
import { useCan } from '../auth';
import { graphErrorMessage, useGraph } from '../graph';

function toNodes(rels: GraphRelationship[]): TreeNodeData[] {
  return rels.map((r) => ({ value: r.slug, label: r.name, children: toNodes(r.children) }));
}

export function DataGraphPage() {
  const graph = useGraph();
  const isAdmin = useCan('admin');
  const qc = useQueryClient();
  const [selected, setSelected] = useState<string | null>(null);
  const [source, setSource] = useState('');
  const tree = useTree();
  const data = useMemo(() => [{ value: '__profile', label: 'Profile', children: toNodes(graph.data?.relationships ?? []) }], [graph.data]);
  useEffect(() => {
    if (graph.data) {
      setSource(graph.data.source);
      tree.expandAllNodes();
      setSelected((s) => s ?? graph.data.relationships[0]?.slug ?? null);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [graph.data]);
  const validate = useMutation({ mutationFn: () => call(api.POST('/api/v1/graph/validate', { body: { source, format: graph.data?.format ?? 'hcl', check_warehouse: true } })) });
  const replace = useMutation({
    mutationFn: () => call(api.PUT('/api/v1/graph', { body: { source, format: graph.data?.format ?? 'hcl' } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['graph'] }),
  });
  useEffect(() => {
    if (graph.data) validate.mutate();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [graph.data]);
  if (!graph.index) return graph.error ? <Alert color="red">{graphErrorMessage(graph.error)}</Alert> : <Loader />;
  const info = selected ? graph.index.rels.get(selected) : undefined;
  const entity = info?.entity;
  const problems = validate.data?.problems ?? [];
  const replaceErrors = replace.error instanceof ApiError ? replace.error.body?.errors : undefined;

  return (
    <Stack>
      <div>
        <Title order={1} size="h2">
          Data graph
        </Title>
        <Text c="dimmed" size="sm">
          How profiles relate to the entities in your warehouse (schema <Code>{graph.data!.profile.schema}</Code>, {graph.data!.profile.type}, version {graph.data!.version}).
        </Text>
      </div>
      <Grid>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card withBorder>
            <Text fw={600} mb="xs">
              Relationships
            </Text>
            <Tree
              data={data}
              tree={tree}
              aria-label="Relationships"
              levelOffset={22}
              renderNode={({ node, expanded, hasChildren, elementProps, level }) => {
                const r = graph.index!.rels.get(node.value);
                const e = r?.entity;
                return (
                  <Group gap={6} {...elementProps} onClick={(ev) => { elementProps.onClick(ev); if (r) setSelected(node.value); }} py={4} style={{ ...elementProps.style, background: selected === node.value ? 'var(--mantine-color-violet-0)' : undefined, borderRadius: 6 }}>
                    {hasChildren ? expanded ? <IconChevronDown size={14} /> : <IconChevronRight size={14} /> : <span style={{ width: 14 }} />}
                    {node.value === '__profile' ? <IconUser size={16} /> : <IconDatabase size={16} />}
                    <Text size="sm" fw={500}>
                      {node.label}
                    </Text>
                    {r && (
                      <>
                        <Text size="xs" c="dimmed">
                          {r.rel.slug} → {e?.name ?? r.rel.entity}
                        </Text>
                        <Badge size="xs" variant="light" color="gray">
                          level {level}
                        </Badge>
                        {e && !e.table_exists && (
                          <Badge size="xs" color="red">
                            no table
                          </Badge>
                        )}
                      </>
                    )}
                  </Group>
                );
              }}
            />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Card withBorder>
            {!entity ? (
              <Text c="dimmed" size="sm">
                Pick a relationship to see its entity, table and columns.
              </Text>
            ) : (
              <Stack gap="xs">
                <Group justify="space-between">
                  <Title order={2} size="h4">
                    {entity.name}
                  </Title>
                  {entity.enrichment_enabled && <Badge variant="light">enrichment enabled</Badge>}
                </Group>
                <Text size="sm">
                  Table <Code>{entity.table}</Code> · primary key <Code>{entity.primary_key}</Code> · via relationship <Code>{info!.rel.slug}</Code>
                </Text>
                {entity.description && (
                  <Text size="sm" c="dimmed">
                    {entity.description}
                  </Text>
                )}
                <Table striped data-testid="entity-columns">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Column</Table.Th>
                      <Table.Th>Type</Table.Th>
                      <Table.Th>Warehouse type</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {entity.columns.map((c) => (
                      <Table.Tr key={c.name}>
                        <Table.Td className="mono">
                          {c.name} {c.name === entity.primary_key && <Badge size="xs">key</Badge>}
                        </Table.Td>
                        <Table.Td>
                          <Badge variant="outline" color="gray" size="sm">
                            {c.type}
                          </Badge>
                        </Table.Td>
                        <Table.Td className="mono">{c.engine_type}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Stack>
            )}
          </Card>
        </Grid.Col>
      </Grid>
      <Card withBorder>
        <Group justify="space-between" mb="xs">
          <Group gap="xs">
            <Title order={2} size="h4">
              Graph file
            </Title>
            {validate.data &&
              (validate.data.valid ? (
                <Badge color="teal" leftSection={<IconCircleCheck size={12} />}>
                  valid
                </Badge>
              ) : (
                <Badge color="red" leftSection={<IconAlertTriangle size={12} />}>
                  {problems.length} problem{problems.length === 1 ? '' : 's'}
                </Badge>
              ))}
          </Group>
          <Group>
            <Button variant="default" onClick={() => validate.mutate()} loading={validate.isPending}>
              Validate
            </Button>
            {isAdmin && (
              <Button onClick={() => replace.mutate()} loading={replace.isPending} disabled={source === graph.data!.source}>
                Save graph
              </Button>
            )}
          </Group>
        </Group>
        {problems.length > 0 && (
          <Alert color="red" mb="sm" role="alert" data-testid="graph-problems">
            {problems.map((p, i) => (
              <Text size="sm" key={i}>
                line {p.line}, column {p.column}: {p.message}
              </Text>
            ))}
          </Alert>
        )}
        {replaceErrors && (
          <Alert color="red" mb="sm">
            {replaceErrors.map((e, i) => (
              <Text size="sm" key={i}>
                {e.line ? `line ${e.line}, column ${e.column}: ` : ''}
                {e.message}
              </Text>
            ))}
          </Alert>
        )}
        <Textarea aria-label="Graph file" className="mono" value={source} onChange={(e) => setSource(e.currentTarget.value)} autosize minRows={10} maxRows={30} readOnly={!isAdmin} styles={{ input: { fontFamily: 'ui-monospace, monospace', fontSize: 12 } }} />
      </Card>
    </Stack>
  );
}
